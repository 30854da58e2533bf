"""Real-time web events: a generator of page views, a streaming ingester with a dead-letter
table and replay safety, and the sinks it writes micro-batches to.

Python use::

    from adventure_elt.stream.ingest import ingest_source, run_stream
    counts = ingest_source(settings, "events.jsonl")   # read / loaded / duplicates / rejected

Modules: `generator` (events), `validate` (the event contract and rejection reasons),
`ingest` (micro-batches, dedup, signals), `sink` (one class per engine), `tables` (the raw tables).
"""
