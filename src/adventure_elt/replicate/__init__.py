"""Replication: PostgreSQL → the warehouse's raw layer.

`sync` (in `replicate.sync`) is the entry point; `extract` reads tables as Arrow batches.
"""
