"""Shared by the bench scripts: replace their own section of bench/RESULTS.md, keep the rest."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading: str, section: str) -> None:
    """Put `section` (which starts with `heading`, a `## ` line) in place of the section of that
    heading, or at the end when RESULTS.md has none yet."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)
