"""Root of the ``geohazard`` command: one sub-app per system.

User errors (:class:`~geohazard.exceptions.GeohazardError`) are printed as one line
on stderr and exit with status 1, without a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.logging import RichHandler

from geohazard import __version__
from geohazard.cli._common import err_console
from geohazard.exceptions import GeohazardError

app = typer.Typer(
    name="geohazard",
    help="Earthquake forecasting, DAS storm noise and earthquake-induced landslides.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"geohazard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Earthquake forecasting, DAS storm noise and earthquake-induced landslides."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
    if not verbose:  # Lightning's banner lines (GPU/TPU available, tips) are noise here
        for name in ("lightning", "lightning.pytorch", "pytorch_lightning", "lightning_fabric",
                     "numexpr", "numexpr.utils"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _register() -> None:
    """Attach the sub-apps. Each system's CLI module defines ``app``."""
    from geohazard.cli import catalog, demo, forecast, report
    from geohazard.cli import das as das_cli
    from geohazard.cli import etas as etas_cli
    from geohazard.cli import landslide as landslide_cli
    from geohazard.cli import recast as recast_cli

    app.add_typer(catalog.app, name="catalog")
    app.command("demo")(demo.demo)
    app.add_typer(forecast.app, name="forecast")
    app.add_typer(report.app, name="report")
    # --- system sub-apps (one line each) ---
    app.add_typer(etas_cli.app, name="etas")
    app.add_typer(landslide_cli.app, name="landslide")
    app.add_typer(das_cli.app, name="das")
    app.add_typer(recast_cli.app, name="recast")


_register()


def main() -> None:
    """Console entry point with one-line user errors and exit status 1."""
    try:
        app(standalone_mode=False)
    except GeohazardError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as exc:  # usage errors come through here in non-standalone mode
        if _is_click_exception(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise


def _is_click_exception(exc: BaseException) -> bool:
    """True for click's ClickException, whether from click or the copy Typer bundles."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


if __name__ == "__main__":
    main()
