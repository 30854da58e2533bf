"""Where things live: the files shipped with the package, and the user's project folder.

The SQL and the real AdventureWorks data sit inside the wheel (`adventure_elt/sql`,
`adventure_elt/data/adventureworks`, mapped by pyproject's `force-include`) and at the root of a
source checkout, which an editable install reads in place.
"""

from __future__ import annotations

import tomllib
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


def project_dir(start: Path | None = None) -> Path:
    """The project folder: the nearest at or above `start` whose `.dlt/config.toml` configures
    adventure_elt (has an `[adventure_elt]` table); `start` itself when there is none.

    So a notebook whose kernel starts in `notebooks/`, or a command run from a subfolder, reads
    the project's settings and finds its `adventure.duckdb`, as git finds its repository.

    Args:
        start: where to look from (default: the working directory).

    Returns:
        An absolute path.
    """
    start = (Path.cwd() if start is None else start).absolute()
    for folder in (start, *start.parents):
        if _configures_adventure_elt(folder / ".dlt" / "config.toml"):
            return folder
    return start


def _configures_adventure_elt(config: Path) -> bool:
    if not config.is_file():
        return False
    try:
        with config.open("rb") as f:
            return "adventure_elt" in tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return True  # ours or not, Settings.load reports what is wrong with it
