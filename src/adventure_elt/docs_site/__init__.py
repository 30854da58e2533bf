"""A static documentation site of the project, like `dbt docs generate`, that works offline.

Python use::

    from adventure_elt.docs_site import build_docs
    index, facts = build_docs(settings, Path(".adventure/docs"))

Modules: `facts` (collect what the site shows into plain data), `graph` (lineage graphs as
SVG), `markup` (HTML escaped by construction), `pages` (render every page), `build` (write the
folder, whole or not at all).
"""

from __future__ import annotations

from adventure_elt.docs_site.build import build_docs

__all__ = ["build_docs"]
