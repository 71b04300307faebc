"""salespipe: the sales department's nightly pipeline (Excel log sheets → DuckDB → reports)."""

__version__ = "0.1.0"
