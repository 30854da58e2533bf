"""The semantic layer: measures and dimensions over the marts, compiled to SQL for any engine.

Every consumer (report, dashboard, notebook, CLI) asks it, so a number means the same thing
everywhere::

    from adventure_elt.semantic import load_model, compile_query, query

    query(["revenue", "orders"], ["product.category"], where=["order_date >= '2013-01-01'"])
"""

from __future__ import annotations

from adventure_elt.semantic.compiler import TARGETS, build_query, compile_query
from adventure_elt.semantic.errors import QueryError, SemanticModelError
from adventure_elt.semantic.model import (
    GRAINS,
    Dimension,
    Measure,
    SemanticModel,
    View,
    load_model,
)

# Imported last and on purpose: binding the function rebinds the package attribute that
# importing the `query` submodule set to the module.
from adventure_elt.semantic.query import cached_model, query

__all__ = [
    "GRAINS",
    "TARGETS",
    "Dimension",
    "Measure",
    "QueryError",
    "SemanticModel",
    "SemanticModelError",
    "View",
    "build_query",
    "cached_model",
    "compile_query",
    "load_model",
    "query",
]
