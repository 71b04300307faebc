"""Ingest: workbooks → staged rows → warehouse, all or nothing, then files archived.

    from salespipe.ingest import ingest
    summary = ingest([inbox], config)

The run itself is in `pipeline`; it is imported on first use, so that the reading modules (`batch`,
`rows`, `header`, …) load without DuckDB — the reader process (`worker`) needs only them.
"""
from __future__ import annotations


def __getattr__(name: str):
    if name in ("ingest", "IngestSummary"):
        from salespipe.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'salespipe.ingest' has no attribute {name!r}")


__all__ = ["ingest", "IngestSummary"]
