"""Model discovery, dependency inference, the DAG, selection, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from transform_helpers import write_file, write_project

from adventure_elt.errors import ModelError
from adventure_elt.transform.dag import build_dag, select
from adventure_elt.transform.project import load_project


def test_discovers_models_seeds_layers_and_dependencies(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path))
    assert set(project.nodes) == {
        "seeds.order_status",
        "staging.stg_orders",
        "staging.stg_customers",
        "marts.dim_customer",
        "marts.fct_orders",
        "reports.rpt_revenue",
    }
    fct = project.nodes["marts.fct_orders"]
    assert fct.depends_on == ("staging.stg_orders", "seeds.order_status")
    assert fct.materialized == "incremental" and fct.config.unique_key == ("order_id",)
    assert project.nodes["staging.stg_orders"].sources == ("raw.sales_orders",)
    # defaults: staging is a view, the rest tables; CTE names are not dependencies
    assert project.nodes["staging.stg_orders"].materialized == "view"
    assert project.nodes["reports.rpt_revenue"].materialized == "table"
    assert project.nodes["seeds.order_status"].is_seed


def test_build_order_puts_every_upstream_first(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path))
    order = build_dag(project).order()
    assert order == [
        "seeds.order_status",
        "staging.stg_customers",
        "staging.stg_orders",
        "marts.dim_customer",
        "marts.fct_orders",
        "reports.rpt_revenue",
    ]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("fct_orders", {"marts.fct_orders"}),
        ("fct_orders+", {"marts.fct_orders", "reports.rpt_revenue"}),
        ("+fct_orders", {"marts.fct_orders", "staging.stg_orders", "seeds.order_status"}),
        (
            "+fct_orders+",
            {"marts.fct_orders", "staging.stg_orders", "seeds.order_status", "reports.rpt_revenue"},
        ),
        ("stg_customers+", {"staging.stg_customers", "marts.dim_customer", "reports.rpt_revenue"}),
        ("dim_customer, marts.fct_orders", {"marts.dim_customer", "marts.fct_orders"}),
        ("dim_customer stg_orders", {"marts.dim_customer", "staging.stg_orders"}),
    ],
)
def test_selection_forms(tmp_path: Path, selection: str, expected: set[str]) -> None:
    project = load_project(write_project(tmp_path))
    chosen = select(project, build_dag(project), selection)
    assert set(chosen) == expected
    assert chosen == [k for k in build_dag(project).order() if k in expected]


def test_unknown_selected_model_is_named(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path))
    with pytest.raises(ModelError, match="no model or seed named 'fct_nope'"):
        select(project, build_dag(project), "fct_nope+")


def test_cycle_names_the_files(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(sql_dir, "marts/a.sql", "select * from marts.b\n")
    write_file(sql_dir, "marts/b.sql", "select * from marts.a\n")
    with pytest.raises(ModelError, match="dependency cycle") as caught:
        load_project(sql_dir)
    message = str(caught.value)
    assert "sql/marts/a.sql" in message and "sql/marts/b.sql" in message
    assert "\n" not in message


def test_missing_upstream_names_file_and_line(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir,
        "marts/bad.sql",
        "select *\nfrom staging.stg_orders\njoin staging.stg_nope using (order_id)\n",
    )
    with pytest.raises(ModelError) as caught:
        load_project(sql_dir)
    assert str(caught.value).startswith("sql/marts/bad.sql:3: unknown upstream staging.stg_nope")


def test_unqualified_table_names_file_and_line(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(sql_dir, "marts/bad.sql", "select *\n\nfrom stg_orders\n")
    with pytest.raises(ModelError, match=r"sql/marts/bad.sql:3: table 'stg_orders' has no layer"):
        load_project(sql_dir)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir, "reports/broken.sql", "select\n    a,\n    b\nfrom marts.fct_orders\nwhere (\n"
    )
    with pytest.raises(ModelError, match=r"^sql/reports/broken.sql:5: SQL syntax error"):
        load_project(sql_dir)


def test_unterminated_string_names_file_and_line(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir, "reports/broken.sql", "select 1 as a\nfrom marts.fct_orders\nwhere x = 'oops\n"
    )
    with pytest.raises(ModelError, match=r"^sql/reports/broken.sql:3: SQL syntax error"):
        load_project(sql_dir)


def test_models_yml_entry_without_a_file(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    text = (sql_dir / "marts/_models.yml").read_text() + "  - name: dim_ghost\n"
    write_file(sql_dir, "marts/_models.yml", text)
    with pytest.raises(
        ModelError, match=r"sql/marts/_models.yml:\d+: model 'dim_ghost' is declared"
    ):
        load_project(sql_dir)


def test_incremental_without_unique_key_is_rejected(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir,
        "marts/_models.yml",
        "version: 1\nmodels:\n  - name: fct_orders\n    materialized: incremental\n",
    )
    with pytest.raises(ModelError, match=r"_models.yml:3: an incremental model needs `unique_key"):
        load_project(sql_dir)


def test_seed_types_inferred_or_declared(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir, "seeds/flags.csv", "flag,name,since,rate\ntrue,yes,2024-01-01,0.5\nfalse,no,,1\n"
    )
    write_file(
        sql_dir,
        "seeds/_seeds.yml",
        "version: 1\nseeds:\n  - name: flags\n    column_types: {name: STRING, rate: FLOAT64}\n",
    )
    sql = load_project(sql_dir).nodes["seeds.flags"].sql
    assert "cast('true' as BOOL) as flag" in sql
    assert "cast('2024-01-01' as DATE) as since" in sql and "cast(null as DATE) as since" in sql
    assert "cast('0.5' as FLOAT64) as rate" in sql


def test_duplicate_names_across_layers_are_rejected(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(sql_dir, "reports/dim_customer.sql", "select 1 as x\n")
    with pytest.raises(ModelError, match=r"already used by sql/marts/dim_customer\.sql"):
        load_project(sql_dir)
