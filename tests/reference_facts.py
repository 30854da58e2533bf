"""The Kestra 2.x and Airbyte facts the flow and connection tests check against.

The tests read the fact files committed in `tests/reference/`, so a clone needs nothing beside it.
This module also derives them: `python tests/reference_facts.py` rewrites them from the reference
material kept beside the project (`../shared/kestra`, `../shared/airbyte`), and
`python tests/reference_facts.py --check` exits 1 when they no longer match it.

Only facts are kept — names, types, required flags, enums, defaults, patterns, secret flags,
removed and renamed names, and where each fact was read (repository, path, commit). The reference
files' descriptions, notes, titles and UI hints are left out; a removal's explanation becomes a
short hint of our own ("use `taskRunner`") when it names a replacement.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FACTS = HERE / "reference"
SHARED = HERE.parents[1] / "shared"

KESTRA_FACTS = "kestra-2.json"
AIRBYTE_FACTS = {
    # the name the Airbyte tests ask for → the fact file committed here
    "source-postgres.spec.json": "airbyte-source-postgres.json",
    "destination-bigquery.spec.json": "airbyte-destination-bigquery.json",
    "connection-api.json": "airbyte-connection-api.json",
}


# ------------------------------------------------------------------------------------ loading


def kestra_reference() -> dict[str, Any]:
    """The Kestra 2.x facts: flow, task, trigger and input keys, removed and renamed names."""
    facts: dict[str, Any] = json.loads((FACTS / KESTRA_FACTS).read_text(encoding="utf-8"))
    return facts


def airbyte_reference(name: str) -> Any:
    """The Airbyte facts for one reference file: a connector spec (a JSON Schema holding only
    validation keywords) or the connection API's fields and enums."""
    return json.loads((FACTS / AIRBYTE_FACTS[name]).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------ deriving

# Keys whose values are explanations in the reference files' words, never checked by a test.
KESTRA_PROSE = {
    "$comment", "description", "note", "notes", "generatedOn", "appliesTo", "typesSource",
    "renamedTypesSource", "requiredSource", "enumNote", "whenHelpers", "status",
}  # fmt: skip
# Maps of removed things to an explanation: the explanation becomes our own short hint.
KESTRA_REMOVALS = {"removedKeys", "removedProperties", "removedTypes", "pebbleChanges"}
# WorkingDirectory is missing from the property list (it is only named as the target of renamed
# types). Read from kestra-io/kestra core/src/main/java/io/kestra/plugin/core/flow/
# WorkingDirectory.java at 087d43b42d7acb261debd02fb55c54bd6eebfcc1: it extends Sequential and
# adds these four properties.
WORKING_DIRECTORY = "io.kestra.plugin.core.flow.WorkingDirectory"
WORKING_DIRECTORY_OWN = [
    {"name": "cache", "required": False, "type": "object{patterns, ttl}"},
    {"name": "namespaceFiles", "required": False, "type": "object"},
    {"name": "inputFiles", "required": False, "type": "object | string", "dynamic": True},
    {"name": "outputFiles", "required": False, "type": "array<string>", "dynamic": True},
]
WORKING_DIRECTORY_SOURCE = {
    "repo": "kestra-io/kestra",
    "path": "core/src/main/java/io/kestra/plugin/core/flow/WorkingDirectory.java",
    "commit": "087d43b42d7acb261debd02fb55c54bd6eebfcc1",
}

# JSON Schema keywords that decide what validates, plus Airbyte's secret flag.
SCHEMA_KEYWORDS = {
    "$schema", "type", "properties", "required", "enum", "const", "oneOf", "anyOf", "allOf",
    "items", "additionalProperties", "minimum", "maximum", "minLength", "maxLength", "pattern",
    "minItems", "maxItems", "uniqueItems", "default", "airbyte_secret",
}  # fmt: skip
AIRBYTE_PROSE = {"$comment", "description", "note", "usedBy", "unconfirmed_note", "extraKeys"}

_REPLACEMENT = re.compile(r"\b(?:use|replaced by) (?:the )?'?(\{\{ ?\w+ ?\}\}|[A-Za-z][\w.]*)")


def removal_hint(explanation: str) -> str:
    """Our short hint for a removal: the replacement it names, if any.

    >>> removal_hint("removed in 2.0 - use taskRunner {type: ...Docker} + containerImage")
    'use `taskRunner`'
    >>> removal_hint("use 'id' (removed in 2.0)")
    'use `id`'
    >>> removal_hint("removed - use a separate flow with a Flow trigger")
    'removed'
    """
    match = _REPLACEMENT.search(explanation)
    if match is None or match[1] in {"a", "an", "KV", "Kestra"}:
        return "removed"
    return f"use `{match[1]}`"


def derive_kestra(reference: dict[str, Any]) -> dict[str, Any]:
    """The facts of `kestra-2-properties.json`, plus WorkingDirectory."""

    def strip(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            if key in KESTRA_REMOVALS:
                return {name: removal_hint(str(why)) for name, why in node.items()}
            if key == "sources":  # where each fact was read: repository, path, commit
                return {
                    name: {k: v for k, v in source.items() if k in ("repo", "path", "commit")}
                    for name, source in node.items()
                }
            return {k: strip(v, k) for k, v in node.items() if k not in KESTRA_PROSE}
        if isinstance(node, list):
            return [strip(item, key) for item in node]
        return node

    facts: dict[str, Any] = strip({k: v for k, v in reference.items() if k != "conventions"})
    facts["target"] = "Kestra 2.0.x"
    facts["conventions"] = {"nestedTaskLists": reference["conventions"]["nestedTaskLists"]}
    sequential = facts["types"]["io.kestra.plugin.core.flow.Sequential"]
    facts["sources"]["kestra-core-workingdirectory"] = WORKING_DIRECTORY_SOURCE
    facts["types"].setdefault(
        WORKING_DIRECTORY,
        {
            "kind": "task",
            "inherits": list(sequential["inherits"]),
            "properties": [
                *sequential["properties"],
                *({**p, "source": "kestra-core-workingdirectory"} for p in WORKING_DIRECTORY_OWN),
            ],
            "flowable": True,
        },
    )
    return facts


def derive_spec(schema: Any, key: str = "") -> Any:
    """A connector spec reduced to what validates: JSON Schema keywords and secret flags."""
    if isinstance(schema, dict):
        if key == "properties":  # property names are data here, not keywords
            return {name: derive_spec(value) for name, value in schema.items()}
        return {k: derive_spec(v, k) for k, v in schema.items() if k in SCHEMA_KEYWORDS}
    if isinstance(schema, list):
        return [derive_spec(item) for item in schema]
    return schema


def derive_connection_api(facts: dict[str, Any]) -> dict[str, Any]:
    """The create-connection request's fields, enums and sync-mode table, without prose."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in AIRBYTE_PROSE}
        if isinstance(node, list):
            return [strip(item) for item in node]
        return node

    kept = {
        key: strip(facts[key]) for key in ("objects", "enums", "syncModeToProtocol", "protocol")
    }
    return {"endpoint": {k: facts["endpoint"][k] for k in ("method", "path")}, **kept}


def _provenance(derived: dict[str, Any], source: Path, origin: str) -> dict[str, Any]:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    comment = (
        f"Facts only, derived by tests/reference_facts.py from ../shared/{source.parent.name}/"
        f"{source.name} (sha256 {digest[:16]}…); upstream: {origin}."
    )
    return {"$comment": comment, **derived}


DERIVATIONS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    # fact file → (reference file under ../shared, derivation, upstream origin)
    KESTRA_FACTS: (
        "kestra/kestra-2-properties.json",
        derive_kestra,
        "Kestra sources and docs listed under `sources`",
    ),
    AIRBYTE_FACTS["source-postgres.spec.json"]: (
        "airbyte/source-postgres.spec.json",
        derive_spec,
        "airbytehq/airbyte airbyte-integrations/connectors/source-postgres/src/test/resources/"
        "spec-schema-snapshots/PostgresSourceConfigurationSpecification.json at 716d2b5e "
        "(connectionSpecification; connector licence ELv2)",
    ),
    AIRBYTE_FACTS["destination-bigquery.spec.json"]: (
        "airbyte/destination-bigquery.spec.json",
        derive_spec,
        "airbytehq/airbyte airbyte-integrations/connectors/destination-bigquery/src/"
        "test-integration/resources/expected-spec-oss.json at adfcf1e8 (connectionSpecification;"
        " connector licence ELv2)",
    ),
    AIRBYTE_FACTS["connection-api.json"]: (
        "airbyte/connection-api.json",
        derive_connection_api,
        "the airbyte-api 1.0.1 models (POST /v1/connections) and airbyte-protocol-models 0.18.0",
    ),
}


def derive_all(shared: Path = SHARED) -> dict[str, str]:
    """Every fact file's text, derived from the reference files under `shared`."""
    texts = {}
    for name, (relative, derive, origin) in DERIVATIONS.items():
        source = shared / relative
        derived = _provenance(
            derive(json.loads(source.read_text(encoding="utf-8"))), source, origin
        )
        texts[name] = json.dumps(derived, indent=1, ensure_ascii=False) + "\n"
    return texts


def main(argv: list[str] | None = None) -> int:
    """Write the fact files (or, with --check, compare them); 1 when they differ, 2 on no input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the reference folder")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"reference folder {args.shared} not found; pass --shared PATH", file=sys.stderr)
        return 2
    texts = derive_all(args.shared)
    stale = [
        n
        for n, t in texts.items()
        if not (FACTS / n).is_file() or (FACTS / n).read_text(encoding="utf-8") != t
    ]
    if args.check:
        for name in stale:
            print(f"tests/reference/{name} differs from what {args.shared} gives", file=sys.stderr)
        return 1 if stale else 0
    FACTS.mkdir(exist_ok=True)
    for name in stale:
        (FACTS / name).write_text(texts[name], encoding="utf-8")
        print(f"wrote tests/reference/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
