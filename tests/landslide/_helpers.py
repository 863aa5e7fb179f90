"""Helpers shared by the landslide tests."""

from __future__ import annotations


def run_main_ok() -> None:
    """Call the ``geohazard`` entry point with the patched ``sys.argv``; require success.

    The entry point ends with ``sys.exit(code)``; exit status 0 (or a plain return) passes.
    """
    from geohazard.cli import main as cli_main

    try:
        cli_main.main()
    except SystemExit as exc:
        assert exc.code in (0, None), f"exit status {exc.code}"
