"""notebooks/explore.ipynb runs top to bottom (nbclient) against a demo warehouse, and is kept in
git without outputs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from adventure_elt.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.e2e
@pytest.mark.postgres
def test_notebook_runs_top_to_bottom_from_the_notebooks_folder(
    demo_warehouse: Settings, tmp_path: Path
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # A project folder as `make demo` leaves it: the project's .dlt/config.toml, the warehouse
    # beside it, no ADVENTURE_ELT_* variable. Jupyter starts the kernel in notebooks/.
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / "notebooks").mkdir()
    shutil.copy(REPO / ".dlt" / "config.toml", project / ".dlt" / "config.toml")
    shutil.copy(demo_warehouse.duckdb_path, project / "adventure.duckdb")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(project / "notebooks")}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    outputs = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert f"warehouse: duckdb {project / 'adventure.duckdb'}" in outputs
    assert "raw.sales_salesorderdetail.unitprice" in outputs  # the lineage reached the source
    # Counts print as integers, not floats (31465, not 31465.0).
    assert re.search(r"semantic layer: \{.*'orders': \d+, 'customers': \d+,", outputs)
    assert "sales_agg" in outputs and "orders_agg" in outputs  # one CTE per fact
    charts = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "alt.Chart" in str(output.get("data", {}).get("text/plain", ""))
    ]
    assert len(charts) == 2
