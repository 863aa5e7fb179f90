"""Run configurations: pydantic models loaded from YAML, TOML or JSON; CLI flags override."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from geohazard.exceptions import DataFileNotFoundError, InputError

T = TypeVar("T", bound="RunConfig")


class RunConfig(BaseModel):
    """Base of all run configs: frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def load(cls: type[T], path: str | Path | None = None, **overrides: Any) -> T:
        """Load a config file (YAML, TOML or JSON) and apply non-None ``overrides``.

        Parameters
        ----------
        path
            Config file, or None for defaults.
        **overrides
            Values (typically CLI flags) that replace the file's; None means "not given".
        """
        data: dict[str, Any] = {}
        if path is not None:
            data = read_config_file(path)
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            where = f"{path}: " if path else ""
            raise InputError(f"{where}config key '{loc}': {first['msg']}") from None


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a mapping from a YAML, TOML or JSON file."""
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: config file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a config file (YAML, TOML or JSON)")
    if p.suffix.lower() not in {".toml", ".json", ".yaml", ".yml"}:
        raise InputError(f"{p}: unknown config format '{p.suffix}' (use .yaml, .toml or .json)")
    import yaml  # only here: most commands read no config file

    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{p}: cannot parse config: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: config must be a mapping of keys to values")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise InputError(f"{p}: config key {bad[0]!r} is not a name")
    return data
