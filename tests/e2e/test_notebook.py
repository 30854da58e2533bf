"""notebooks/explore.ipynb runs top to bottom (nbclient) against a demo warehouse, and is kept in
git without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from adventure_elt.settings import Settings

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.e2e
@pytest.mark.postgres
def test_notebook_runs_top_to_bottom(
    demo_warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # The kernel is a child process: it reads the settings from the environment, like the CLI.
    monkeypatch.setenv("ADVENTURE_ELT_WAREHOUSE", "duckdb")
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(demo_warehouse.duckdb_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # no .dlt/ of the checkout there
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    outputs = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "raw.sales_salesorderdetail.unitprice" in outputs  # the lineage reached the source
    assert "sales_agg" in outputs and "orders_agg" in outputs  # one CTE per fact
    charts = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "alt.Chart" in str(output.get("data", {}).get("text/plain", ""))
    ]
    assert len(charts) == 2
