"""`oltp load-csv`: the real AdventureWorks files load exactly; bad input changes nothing.

The real data is loaded once per module into its own database; every failing load then runs
against that database and must leave the README's row counts in place.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from adventure_elt import paths
from adventure_elt.catalog import TABLES
from adventure_elt.errors import InputFileError
from adventure_elt.oltp import schema, server
from adventure_elt.oltp.loader import file_name, load_csv
from adventure_elt.progress import ProgressEvent
from adventure_elt.settings import Settings
from pg_databases import fresh_database
from real_data import README_ROWS

pytestmark = pytest.mark.postgres

ADVENTUREWORKS = paths.adventureworks_dir()

TOTAL_DUE = Decimal("123216786.1159")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def query(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def fingerprint(dsn: str) -> tuple[dict[str, int], object]:
    """What a failed load must not change: every table's row count and the orders' total."""
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute("select sum(totaldue) from sales.salesorderheader")
        total = cur.fetchone()
        return schema.row_counts(conn), total


@pytest.fixture(scope="module")
def loaded(
    pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, int], list[ProgressEvent]]]:
    """A database holding the real data: (dsn, counts load_csv returned, progress events)."""
    with fresh_database(pg_admin_dsn, prefix="t_load") as db:
        events: list[ProgressEvent] = []
        with server.connect_to(db.dsn) as conn:
            counts = load_csv(conn, ADVENTUREWORKS, progress=events.append)
        yield db.dsn, counts, events


def linked_copy(target: Path, source: Path) -> Path:
    """A folder with links to the 12 real files, so one of them can be swapped for a bad one."""
    target.mkdir()
    for table in TABLES:
        (target / file_name(table)).symlink_to(source / file_name(table))
    return target


def rewrite(folder: Path, name: str, edit_line: int, old: str, new: str) -> None:
    """Replace `old` by `new` in line `edit_line` (1 = header) of a linked file, as a real file."""
    path = folder / name
    lines = gzip.decompress(path.read_bytes()).decode().split("\n")
    assert old in lines[edit_line - 1]
    lines[edit_line - 1] = lines[edit_line - 1].replace(old, new, 1)
    path.unlink()
    path.write_bytes(gzip.compress("\n".join(lines).encode()))


# ----------------------------------------------------------------------------- the real data


def test_real_data_loads_with_the_readme_row_counts(
    loaded: tuple[str, dict[str, int], list[ProgressEvent]],
) -> None:
    dsn, counts, _ = loaded
    assert counts == README_ROWS
    assert list(counts) == [t.qualified_name for t in TABLES]
    assert fingerprint(dsn) == (README_ROWS, (TOTAL_DUE,))


def test_real_values_keep_their_types_padding_and_nulls(
    loaded: tuple[str, dict[str, int], list[ProgressEvent]],
) -> None:
    dsn, _, _ = loaded
    # char(3) keeps SQL Server's padding; bytea holds the 22-byte geography point (SRID 4326).
    assert query(
        dsn, "select stateprovincecode from person.stateprovince where name = 'Alberta'"
    ) == [("AB ",)]
    assert query(
        dsn, "select encode(spatiallocation, 'hex') from person.address where addressid = 1"
    ) == [("e6100000010cae8bfc28bce4474067a89189898a5ec0",)]
    assert query(
        dsn, "select count(*) from person.address where octet_length(spatiallocation) <> 22"
    ) == [(0,)]
    # Empty CSV fields are NULL; the xml columns hold the documents.
    assert query(
        dsn, "select count(additionalcontactinfo), count(demographics) from person.person"
    ) == [(10, 19_972)]
    assert query(
        dsn,
        "select left(demographics::text, 13) from sales.store where businessentityid = 292",
    ) == [("<StoreSurvey ",)]
    assert query(
        dsn, "select count(*) from production.product where productsubcategoryid is null"
    ) == [(209,)]
    assert query(dsn, "select count(*) from sales.store where name like '% '") == [(4,)]
    assert query(
        dsn,
        "select sum(orderqty * unitprice * (1 - unitpricediscount)),"
        " min(orderdate)::date::text, max(orderdate)::date::text from sales.salesorderdetail"
        " join sales.salesorderheader using (salesorderid)",
    ) == [(Decimal("109846381.399888"), "2011-05-31", "2014-06-30")]


def test_progress_reports_one_finished_task_per_file(
    loaded: tuple[str, dict[str, int], list[ProgressEvent]],
) -> None:
    _, _, events = loaded
    finished = {e.task: e.done for e in events if e.finished}
    assert finished == {f"load {name}": rows for name, rows in README_ROWS.items()}


def test_loading_twice_replaces_rather_than_appends(source_settings: Settings) -> None:
    folder = source_settings.home / "tiny"
    folder.mkdir()
    with server.connect(source_settings) as conn:
        schema.create_schema(conn)
        for table in TABLES:
            header = ",".join(schema.table_columns(conn, table))
            (folder / file_name(table)).write_bytes(gzip.compress(f"{header}\n".encode()))
    rows = "AA,Atlantis,2014-01-01 00:00:00\nBB,Borduria,2014-01-02 00:00:00\n"
    path = folder / "person.countryregion.csv.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + rows.encode()))
    dsn = source_settings.source_dsn
    assert dsn
    # Once from Python on an autocommit connection, once through the CLI.
    with server.connect_to(dsn, autocommit=True) as conn:
        assert load_csv(conn, folder)["person.countryregion"] == 2
    result = cli("--source-dsn", dsn, "oltp", "load-csv", str(folder), "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert list(counts) == [t.qualified_name for t in TABLES]
    assert counts["person.countryregion"] == 2 and sum(counts.values()) == 2
    assert query(dsn, "select count(*) from person.countryregion") == [(2,)]


def test_cli_loads_the_data_shipped_with_the_project_by_default(
    source_settings: Settings, tmp_path: Path
) -> None:
    assert source_settings.source_dsn is not None
    result = cli(
        "--source-dsn", source_settings.source_dsn, "oltp", "load-csv", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == README_ROWS


# ----------------------------------------------------------------------------- bad input


def _missing_file(folder: Path) -> None:
    (folder / "sales.store.csv.gz").unlink()


def _renamed_column(folder: Path) -> None:
    rewrite(folder, "sales.salesorderdetail.csv.gz", 1, "orderqty", "quantity")


def _wrong_type(folder: Path) -> None:
    # Line 5 is Arkansas (stateprovinceid 4); its territoryid 3 becomes text.
    rewrite(folder, "person.stateprovince.csv.gz", 5, ",Arkansas,3,", ",Arkansas,north,")


def _unknown_state(folder: Path) -> None:
    rewrite(folder, "person.address.csv.gz", 3, ",Bothell,79,", ",Bothell,9999,")


def _corrupt_gzip(folder: Path) -> None:
    path = folder / "person.address.csv.gz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.unlink()
    path.write_bytes(bytes(data))


def _truncated_gzip(folder: Path) -> None:
    path = folder / "person.address.csv.gz"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[: len(data) // 2])


def _huge_header_field(folder: Path) -> None:
    # over the csv module's field limit (131,072 characters): it was an exit-1 "bug" line
    path = folder / "production.productcategory.csv.gz"
    path.unlink()
    path.write_bytes(gzip.compress(b'"' + b"x" * 200_000 + b'"\n'))


def _not_gzip(folder: Path) -> None:
    path = folder / "production.product.csv.gz"
    path.unlink()
    path.write_text("productid,name\n1,Bike\n")


BAD_INPUTS = {
    # case: (how to break the folder, pattern the one-line error must contain)
    "missing file": (_missing_file, "missing sales.store.csv.gz"),
    "header mismatch": (
        _renamed_column,
        re.escape(
            "sales.salesorderdetail.csv.gz: line 1: header does not match table"
            " sales.salesorderdetail: missing column(s) orderqty; unexpected column(s) quantity"
        ),
    ),
    "wrong type": (
        _wrong_type,
        re.escape(
            "person.stateprovince.csv.gz: line 5, column territoryid: invalid input syntax for"
            ' type integer: "north"'
        ),
    ),
    "foreign key": (
        _unknown_state,
        re.escape(
            "person.address.csv.gz: line 3, column stateprovinceid: 9999 is not in"
            " person.stateprovince (foreign key address_stateprovinceid_fkey)"
        ),
    ),
    # gzip notices damage where it stops reading, so the line depends on the damage.
    "corrupt gzip": (_corrupt_gzip, r"person\.address\.csv\.gz: line \d+: damaged gzip data"),
    "truncated gzip": (_truncated_gzip, r"person\.address\.csv\.gz: line \d+: damaged gzip data"),
    "not gzip": (_not_gzip, "production.product.csv.gz: not a gzip file"),
    "huge header field": (
        _huge_header_field,
        re.escape("production.productcategory.csv.gz: line 1: not a CSV header (field larger"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    case: str,
    loaded: tuple[str, dict[str, int], list[ProgressEvent]],
    tmp_path: Path,
) -> None:
    dsn, _, _ = loaded
    folder = linked_copy(tmp_path / "data", ADVENTUREWORKS)
    breaker, expected = BAD_INPUTS[case]
    breaker(folder)
    result = cli("--source-dsn", dsn, "oltp", "load-csv", str(folder), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert re.search(expected, result.stderr), result.stderr
    assert result.stdout == ""
    assert fingerprint(dsn) == (README_ROWS, (TOTAL_DUE,))


def test_missing_folder_is_one_line_exit_2(
    loaded: tuple[str, dict[str, int], list[ProgressEvent]], tmp_path: Path
) -> None:
    dsn, _, _ = loaded
    result = cli("--source-dsn", dsn, "oltp", "load-csv", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'nowhere'}: no such folder" in result.stderr
    assert fingerprint(dsn) == (README_ROWS, (TOTAL_DUE,))


def test_failed_load_into_an_empty_database_leaves_no_tables(
    source_settings: Settings, adventureworks_dir: Path, tmp_path: Path
) -> None:
    folder = linked_copy(tmp_path / "data", adventureworks_dir)
    _renamed_column(folder)
    assert source_settings.source_dsn
    with server.connect_to(source_settings.source_dsn) as conn:
        with pytest.raises(InputFileError, match="salesorderdetail"):
            load_csv(conn, folder)
        # The savepoint is undone, so the caller's transaction goes on.
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from information_schema.tables"
                " where table_schema in ('person', 'sales', 'production')"
            )
            assert cur.fetchone() == (0,)


def test_unreachable_source_is_exit_2_without_password(
    adventureworks_dir: Path, tmp_path: Path
) -> None:
    dsn = "postgresql://etl:hunter2@127.0.0.1:1/aw"
    result = cli("--source-dsn", dsn, "oltp", "load-csv", str(adventureworks_dir), cwd=tmp_path)
    assert result.returncode == 2
    assert "hunter2" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "cannot connect to the source at postgresql://etl:***@127.0.0.1:1/aw" in result.stderr


@pytest.fixture
def password_role(pg_admin_dsn: str) -> Iterator[str]:
    """A role that must log in with a password: (role name) — pg_hba.conf is restored after."""
    role = f"loader_{uuid.uuid4().hex[:8]}"
    with server.connect_to(pg_admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("show hba_file")
        row = cur.fetchone()
        assert row is not None
        hba = Path(row[0])
        original = hba.read_text()
        cur.execute(f"create role {role} login password 'right-pw-8d1'")
        # The embedded server trusts local connections; this role alone must use a password.
        hba.write_text(f"local all {role} scram-sha-256\n{original}")
        cur.execute("select pg_reload_conf()")
    try:
        yield role
    finally:
        hba.write_text(original)
        with server.connect_to(pg_admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("select pg_reload_conf()")
            cur.execute(f"drop role if exists {role}")


def test_wrong_password_is_exit_2_and_never_printed(
    pg_admin_dsn: str, password_role: str, adventureworks_dir: Path, tmp_path: Path
) -> None:
    right = pg_admin_dsn.replace("postgres@", f"{password_role}:right-pw-8d1@")
    wrong = pg_admin_dsn.replace("postgres@", f"{password_role}:wrong-pw-3c7@")
    with server.connect_to(right) as conn, conn.cursor() as cur:  # the role itself works
        cur.execute("select current_user")
        assert cur.fetchone() == (password_role,)
    result = cli("--source-dsn", wrong, "oltp", "load-csv", str(adventureworks_dir), cwd=tmp_path)
    assert result.returncode == 2
    assert "wrong-pw-3c7" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "password authentication failed" in result.stderr
    assert f"{password_role}:***@" in result.stderr
