"""Where the files shipped with the package live.

The SQL and the real AdventureWorks data sit inside the wheel (`adventure_elt/sql`,
`adventure_elt/data/adventureworks`, mapped by pyproject's `force-include`) and at the root of a
source checkout, which an editable install reads in place.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _shipped(relative: str) -> Path:
    """A folder shipped with the project: in the installed package, else in the checkout."""
    for candidate in (_PACKAGE / relative, _CHECKOUT / relative):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the {relative}/ folder is missing from this installation of adventure_elt"
    )


def sql_dir() -> Path:
    """The `sql/` folder: packaged inside the wheel, or at the root of a source checkout."""
    return _shipped("sql")


def adventureworks_dir() -> Path:
    """The real AdventureWorks data shipped with the project: 12 `<schema>.<table>.csv.gz` files.

    >>> (adventureworks_dir() / "sales.salesorderheader.csv.gz").is_file()
    True
    """
    return _shipped("data/adventureworks")
