"""Log sequence numbers: 64-bit WAL positions, printed by PostgreSQL as two hex halves."""

from __future__ import annotations

import re

_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


def format_lsn(lsn: int) -> str:
    """An LSN as PostgreSQL prints it.

    >>> format_lsn(25644592)
    '0/1874E30'
    >>> format_lsn(2**32 + 1)
    '1/1'
    """
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """An LSN printed by PostgreSQL (`pg_lsn` text) as an integer.

    >>> parse_lsn("0/1874E30")
    25644592
    >>> parse_lsn("1/1") == 2**32 + 1
    True
    """
    match = _LSN.match(text.strip())
    if match is None:
        raise ValueError(f"not an LSN: {text[:40]!r} (expected e.g. 0/1874E30)")
    return (int(match[1], 16) << 32) | int(match[2], 16)
