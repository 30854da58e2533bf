"""Errors of the semantic layer: a broken model file, or a query it cannot answer."""

from __future__ import annotations

from adventure_elt.errors import AdventureEltError


class SemanticModelError(AdventureEltError):
    """A semantic model file is invalid; the message names the file and the key."""


class QueryError(AdventureEltError):
    """A semantic query asks for something the model cannot answer (unknown or unreachable)."""
