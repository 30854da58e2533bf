"""Where the project's SQL lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def sql_dir() -> Path:
    """The `sql/` folder: packaged inside the wheel, or at the root of a source checkout."""
    for candidate in (_PACKAGE / "sql", _PACKAGE.parent.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the sql/ folder is missing from this installation of adventure_elt")
