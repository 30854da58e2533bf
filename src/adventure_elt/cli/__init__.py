"""The `adventure-elt` command line, a thin layer over the library.

`main.py` registers the commands; each area has its module (`oltp`, `replicate`, `transform`,
`docs`, `stream`, `serve`, `run`), shared options live in `options.py` and everything printed goes
through `console.py`.
"""

from adventure_elt.cli.main import app, main

__all__ = ["app", "main"]
