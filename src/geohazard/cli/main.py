"""Root of the ``geohazard`` command: one sub-app per system.

User errors (:class:`~geohazard.exceptions.GeohazardError`) are printed as one line
on stderr and exit with status 1, without a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys

import typer
from rich.markup import escape

from geohazard.cli import _signals
from geohazard.cli._common import err_console
from geohazard.exceptions import GeohazardError
from geohazard.extras import missing_extra_message

_VERBOSE = [False]  # set by the root callback: show tracebacks of internal errors

# the root's parts in help order: a sub-app (module under geohazard.cli with ``app``) or,
# for "demo", one command
_PARTS = ("catalog", "demo", "forecast", "report", "etas", "landslide", "das", "recast")


def _version(value: bool) -> None:
    if value:
        from geohazard import __version__

        typer.echo(f"geohazard {__version__}")
        raise typer.Exit()


class _LazyRichHandler(logging.Handler):
    """Rich's log handler on stderr, imported at the first record (most runs log none)."""

    def __init__(self) -> None:
        super().__init__()
        self._inner: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._inner is None:
            from rich.logging import RichHandler

            self._inner = RichHandler(console=err_console, show_path=False, show_time=False)
            self._inner.setFormatter(self.formatter)
        self._inner.emit(record)


def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Earthquake forecasting, DAS storm noise and earthquake-induced landslides."""
    _VERBOSE[0] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[_LazyRichHandler()],
        force=True,
    )
    if not verbose:  # Lightning's banner lines (GPU/TPU available, tips) are noise here
        for name in ("lightning", "lightning.pytorch", "pytorch_lightning", "lightning_fabric",
                     "numexpr", "numexpr.utils"):
            logging.getLogger(name).setLevel(logging.WARNING)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``geohazard`` command with every sub-app, or only the one named ``only``.

    One run needs one sub-app: :func:`main` builds the root with just the sub-app its first
    argument names, which imports one CLI module and converts one command group (about
    50 ms less per command than the whole tree, issue 17). ``app`` is the whole tree.
    """
    root = typer.Typer(
        name="geohazard",
        help="Earthquake forecasting, DAS storm noise and earthquake-induced landslides.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    root.callback()(_root)
    for name in (only,) if only in _PARTS else _PARTS:
        module = importlib.import_module(f"geohazard.cli.{name}")
        if name == "demo":
            root.command("demo")(module.demo)
        else:
            root.add_typer(module.app, name=name)
    return root


def __getattr__(name: str) -> typer.Typer:  # noqa: N807 - the module-level hook's name
    """``app``: the whole command tree, built on first use (tests, docs, ``--help``)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()["app"] = build_app()
    return value


def _app_for(args: list[str]) -> typer.Typer:
    """The root for one run: only the sub-app ``args`` name first, else the whole tree."""
    if args and args[0] in _PARTS:
        return build_app(args[0])
    return globals().get("app") or __getattr__("app")


def main() -> None:
    """Console entry point: one-line errors, exit 1 for bad input, 130/143 when interrupted.

    - :class:`~geohazard.exceptions.GeohazardError` (bad input, suspect result): one line,
      exit 1.
    - An ``OSError`` on a file (unwritable output, a folder given as a file): one line naming
      the path, exit 1.
    - Ctrl-C (SIGINT) or SIGTERM: "interrupted; rerun to resume", exit 130 (SIGINT) or 143
      (SIGTERM), the shell's convention, so cron chains stop.
    - A missing optional extra: "this needs geohazard[EXTRA]: pip install ...", exit 1.
    - Anything else is a bug: one line, exit 2, and the traceback with ``--verbose``.
    """
    previous = _signals.install()
    try:
        code = _run()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
        _signals.received = _signals.received or signal.SIGINT
    finally:
        _signals.restore(previous)
    if _signals.received is not None:  # Typer returns Exit(130) for Ctrl-C; libraries exit(1)
        _exit_interrupted(_interrupt_code())
    _spare_exit_collection()
    if code:  # success returns normally (callers and tests may go on)
        sys.exit(code)


def _spare_exit_collection() -> None:
    """Freeze every object for the exit, when this process is the command itself.

    At exit the interpreter's collector walks every object while it tears the modules down,
    about 0.1 s after numpy, pandas and a forecast (issue 17 times the whole command);
    ``gc.freeze()`` takes them out of its reach (they are still freed, files still closed by
    their owners, which write atomically). A program that calls :func:`main` and goes on is
    left alone.
    """
    import gc

    from geohazard.cli import is_command_process

    if is_command_process():
        gc.freeze()


def _exit_interrupted(code: int) -> None:
    """Exit with ``code`` now, after an interrupt has unwound every ``finally``.

    ``os._exit``: CPython re-kills itself with SIGINT at exit when a KeyboardInterrupt once
    escaped code run by a C extension, whatever status ``sys.exit`` asked for; cron chains
    and the resume tests need exactly 130 or 143.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _run() -> int:
    """Run the app; return the exit status (raises SystemExit/KeyboardInterrupt through)."""
    try:
        rv = _app_for(sys.argv[1:])(standalone_mode=False)
    except GeohazardError as exc:
        return _fail(str(exc))
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort as exc:
        if _signals.received or isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        err_console.print("aborted")
        return 1
    except OSError as exc:
        return _fail(_os_message(exc))
    except Exception as exc:
        if _signals.received is not None:  # interrupted inside a compiled kernel (SystemError)
            raise KeyboardInterrupt from exc
        missing = missing_extra_message(exc)  # an optional extra not installed: one line
        if missing is not None:
            return _fail(missing)
        return _unexpected(exc)
    # Typer returns (not raises) Exit codes under standalone_mode=False
    return rv if isinstance(rv, int) else 0


def _unexpected(exc: Exception) -> int:
    """A click usage error (shown, its status), else a bug: one line (traceback with -v)."""
    if _is_click_exception(exc):  # usage errors come through here in non-standalone mode
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    if _VERBOSE[0]:
        raise exc
    err_console.print(
        f"[bold red]internal error:[/bold red] {type(exc).__name__}: {escape(str(exc))} "
        "(a bug: rerun with --verbose for the traceback and report it)",
        highlight=False, soft_wrap=True,
    )
    return 2


def _fail(message: str) -> int:
    err_console.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False,
                      soft_wrap=True)
    return 1


def _interrupt_code() -> int | None:
    """130 after SIGINT, 143 after SIGTERM (with the resume hint printed), else None."""
    signum = _signals.received
    if signum is None:
        return None
    err_console.print("interrupted; rerun to resume", highlight=False)
    return 128 + signum


def _os_message(exc: OSError) -> str:
    """``cannot write /x/y: Permission denied`` from an OSError, naming the path."""
    reason = exc.strerror or str(exc)
    name = exc.filename
    if name is None:
        return reason
    if exc.filename2 is not None:  # os.replace(tmp, target): the target is what the user named
        name = exc.filename2
    if isinstance(exc, IsADirectoryError):
        return f"{name}: is a folder, expected a file"
    if isinstance(exc, NotADirectoryError):
        return f"{name}: a parent of this path is a file, not a folder"
    return f"{name}: {reason}"


def _is_click_exception(exc: BaseException) -> bool:
    """True for click's ClickException, whether from click or the copy Typer bundles."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


if __name__ == "__main__":
    main()
