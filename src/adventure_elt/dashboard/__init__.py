"""The Streamlit dashboard: the five business answers, live web traffic and live orders, read
only through the semantic layer (`adventure_elt.query`), so every number means what `report`
means.

`adventure-elt dashboard` serves `app.py` (see `launch.py`); the pages live in `views/`, one
per business question. Nothing here writes to the warehouse: every query opens it read-only.
"""

from __future__ import annotations

from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "app.py"
