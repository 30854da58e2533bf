"""adventure_elt: AdventureWorks from PostgreSQL to an analytics warehouse."""

from __future__ import annotations

__version__ = "0.1.0"
