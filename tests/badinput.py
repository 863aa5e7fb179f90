"""The bad-input harness shared by every ``test_bad_inputs_*`` module.

Each case runs the real console entry point (:func:`geohazard.cli.main.main`) in-process,
as a user's shell would call it, and asserts what the project promises for bad input:

- exit status 1 (or the status given),
- no ``Traceback`` and no uncaught exception,
- a one-line ``error:`` message that names the culprit (file, column, row or flag),
- no new, changed or removed file under the watched folder (nothing half-written).

Cases are plain data (:class:`Case`) so a module can parametrize over dozens of them, the way
DASCore runs one IO suite over every format.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CliResult:
    """What a user sees: exit status, stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        """Stdout and stderr together."""
        return self.out + self.err


@dataclass(frozen=True)
class Case:
    """One bad-input case.

    Parameters
    ----------
    id
        Short name for the test id (``"weather-rate-ambiguous"``).
    args
        Command-line arguments after ``geohazard``; ``{tmp}`` is replaced by the case's
        temporary folder and ``{shared}`` by ``../shared/data``.
    culprit
        Text (or texts) the error message must contain, case-insensitively: the flag, the
        file name, the column.
    setup
        Optional ``f(tmp: Path) -> None`` that writes the bad inputs before the snapshot.
    code
        Expected exit status (1 for bad input).
    """

    id: str
    args: Sequence[str]
    culprit: str | Sequence[str]
    setup: Callable[[Path], None] | None = None
    code: int = 1
    extra: dict = field(default_factory=dict)


def run_main(args: Sequence[str], cwd: Path | None = None) -> CliResult:
    """Call the ``geohazard`` entry point in-process with ``args``; never raises."""
    from geohazard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old_argv = sys.argv
    sys.argv = ["geohazard", *map(str, args)]
    code: int
    with _chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # an uncaught exception is what the user would see as a traceback
            err.write(traceback.format_exc())
            code = -1
        finally:
            sys.argv = old_argv
    return CliResult(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _chdir(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and mtime (folders: size -1)."""
    snap: dict[str, tuple[int, int]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        key = str(path.relative_to(root))
        snap[key] = (-1, 0) if path.is_dir() else (st.st_size, st.st_mtime_ns)
    return snap


def expand(args: Sequence[str], tmp: Path, shared: Path) -> list[str]:
    """Replace ``{tmp}`` and ``{shared}`` in every argument."""
    return [str(a).replace("{tmp}", str(tmp)).replace("{shared}", str(shared)) for a in args]


def assert_clean_failure(result: CliResult, culprit: str | Sequence[str], code: int = 1,
                         before: dict | None = None, after: dict | None = None) -> None:
    """Assert the promise for bad input (see the module docstring)."""
    assert "Traceback" not in result.output, result.output
    assert result.code == code, f"exit {result.code}, wanted {code}\n{result.output}"
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lstrip().lower().startswith(("error:", "usage:"))]
    # click usage errors print a usage block; ours print one "error:" line
    message = result.err if any(ln.lower().startswith("usage:") for ln in errors) else (
        errors[-1] if errors else "")
    assert message, f"no error line on stderr:\n{result.output}"
    texts = [culprit] if isinstance(culprit, str) else list(culprit)
    for text in texts:
        assert text.lower() in message.lower(), f"{text!r} not named in: {message}"
    assert "np.float64" not in result.output, result.output
    if before is not None and after is not None:
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
        assert not (added or removed or changed), (
            f"files touched: added {added}, removed {removed}, changed {changed}")


def check_case(case: Case, tmp: Path, shared: Path) -> CliResult:
    """Run one :class:`Case` in ``tmp`` and assert the bad-input promise."""
    if case.setup is not None:
        case.setup(tmp)
    before = snapshot(tmp)
    result = run_main(expand(case.args, tmp, shared), cwd=tmp)
    after = snapshot(tmp)
    assert_clean_failure(result, case.culprit, case.code, before, after)
    return result
