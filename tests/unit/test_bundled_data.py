"""The real AdventureWorks data ships with the project, intact, with its licence, and the
package finds it from a checkout (editable install) and from a wheel."""

from __future__ import annotations

import gzip
import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from adventure_elt import paths
from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.oltp.loader import file_name
from real_data import README_ROWS

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "adventureworks"
# | person.address.csv.gz | 19,614 | 8375…e3 |
ROW = re.compile(r"^\| (\S+\.csv\.gz) \| ([\d,]+) \| ([0-9a-f]{64}) \|$", re.M)


def documented() -> dict[str, tuple[int, str]]:
    """File → (rows, sha256) as the folder's README states them."""
    text = (DATA / "README.md").read_text(encoding="utf-8")
    return {name: (int(rows.replace(",", "")), digest) for name, rows, digest in ROW.findall(text)}


def test_the_package_finds_the_data_of_this_checkout() -> None:
    assert paths.adventureworks_dir() == DATA
    assert sorted(p.name for p in DATA.glob("*.csv.gz")) == sorted(file_name(t) for t in TABLES)


def test_the_wheel_carries_the_data_where_the_package_looks() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapped["data/adventureworks"] == "adventure_elt/data/adventureworks"
    assert mapped["sql"] == "adventure_elt/sql"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.qualified_name)
def test_every_file_is_the_documented_one(table: SourceTable) -> None:
    name = file_name(table)
    rows, digest = documented()[name]
    content = (DATA / name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == digest, f"{name} differs from the README's"
    lines = gzip.decompress(content).decode("utf-8").splitlines()
    assert len(lines) - 1 == rows == README_ROWS[name.removesuffix(".csv.gz")]


def test_the_licence_and_attribution_sit_beside_the_data() -> None:
    licence = (DATA / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright (c) Microsoft Corporation" in licence and "MIT License" in licence
    assert "Permission is hereby granted, free of charge" in licence
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "microsoft/sql-server-samples" in readme and "What was changed" in readme
    assert len(documented()) == len(TABLES)
