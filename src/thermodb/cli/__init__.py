"""The `thermodb` command line: thin commands over `Database`, one module per topic."""

from thermodb.cli.app import app, main

__all__ = ["app", "main"]
