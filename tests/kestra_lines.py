"""Read a task's `::{...}::` lines as Kestra's script runner does, for the tests.

Kestra (`PluginUtilsService.parseOut`) matches each line of stdout and stderr against
`^::(\\{.*})::$`, merges the `outputs` maps of all matching lines (a later key wins) into the
task's `vars`, and records every entry of `metrics`; other lines are plain log lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

LINE = re.compile(r"^::(\{.*\})::$")


@dataclass
class Published:
    """What one task sent to Kestra: its output vars and its metrics."""

    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def metric(self, name: str, **tags: str) -> float:
        """The value of the one metric with this name and these tags."""
        found = [m["value"] for m in self.metrics if m["name"] == name and m["tags"] == tags]
        assert len(found) == 1, f"{len(found)} metrics {name} {tags} in {self.metrics}"
        value: float = found[0]
        return value

    def by_tag(self, name: str, tag: str) -> dict[str, float]:
        """Metric `name` per value of its tag `tag`, e.g. rows inserted per table."""
        return {m["tags"][tag]: m["value"] for m in self.metrics if m["name"] == name}


def read_published(*streams: str) -> Published:
    """Parse the `::{...}::` lines of a task's stdout and stderr."""
    published = Published()
    for text in streams:
        for line in text.splitlines():
            if (match := LINE.match(line)) is None:
                continue
            message = json.loads(match.group(1))
            published.outputs.update(message.get("outputs") or {})
            published.metrics.extend(message.get("metrics") or [])
    return published
