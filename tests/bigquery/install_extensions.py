"""Install the DuckDB extensions bqemulator needs from their PyPI wheels (run by `make bqvenv`).

bqemulator runs `INSTALL spatial` at start-up, which downloads from DuckDB's extension site;
installing the PyPI-packaged files into `$HOME/.duckdb` first lets it start offline. Runs with
.bqvenv's Python (DuckDB 1.5.5), not the project's.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

connection = duckdb.connect()
for name in ("spatial", "avro"):
    package = Path(importlib.import_module(f"duckdb_extension_{name}").__file__ or "").parent
    extension = next(package.glob("extensions/*/*.duckdb_extension"))
    connection.install_extension(str(extension))
    print(f"installed {name} from {extension}")
