"""The `pathx` command line: one click group (`main`), the entry point of the console script."""
from pathx.cli.main import main

__all__ = ["main"]
