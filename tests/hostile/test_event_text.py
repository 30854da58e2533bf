"""Control characters in web events' text: refused with a reason, kept in the dead-letter table.

JSON allows `\\u0000` and the other control characters as escapes, so such a line parses; no
page URL, user agent or id holds one, and a NUL cuts text short for C-string consumers.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from adventure_elt.stream.ingest import IngestOptions, ingest
from adventure_elt.stream.sink import DuckDBSink

TEXT_FIELDS = ("event_id", "session_id", "user_id", "page_url", "referrer_url", "user_agent")
CONTROLS = ["\u0000", "\t", "\n", "\r", "\u001b", "\u007f"]


def event(**changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "event_id": "e-ok",
        "timestamp": datetime.now(UTC).isoformat(),
        "session_id": "s-1",
        "user_id": "11000",
        "page_url": "https://www.adventure-works.com/bikes",
        "referrer_url": None,
        "ip_address": "81.2.69.160",
        "user_agent": "Mozilla/5.0",
        "device_type": "desktop",
        "duration": 3.5,
        "country": "France",
        "order_value": 0,
    }
    fields.update(changes)
    return json.dumps(fields).encode() + b"\n"  # json.dumps escapes them: \u0000, \t, …


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_in_any_text_field_is_rejected_with_its_reason(
    tmp_path: Path, control: str
) -> None:
    bad = [
        event(**{"event_id": f"e-{name}", name: f"before{control}after"})
        for name in TEXT_FIELDS
        if name != "event_id"
    ]
    bad.append(event(event_id=f"id{control}"))
    path = tmp_path / "w.duckdb"

    counts = ingest(
        io.BytesIO(b"".join([event(), *bad])), DuckDBSink(path), options=IngestOptions()
    )

    assert (counts.read, counts.loaded, counts.rejected) == (len(bad) + 1, 1, len(bad))
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select reason from raw.web_events_rejected").fetchall()
        stored = con.execute("select event_id from raw.web_events").fetchall()
    reasons = [str(reason) for (reason,) in rows]
    code = f"U+{ord(control):04X}"
    assert sorted(r.split(" ")[0] for r in reasons) == sorted(TEXT_FIELDS)
    assert all(f"control character {code}" in r for r in reasons), reasons
    assert stored == [("e-ok",)]
