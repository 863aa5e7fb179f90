"""Command-line interface (Typer). Thin: parse, call the library, render with rich."""
