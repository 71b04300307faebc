"""Errors that carry a Chinese message for people and an English one for logs."""


class SalespipeError(Exception):
    """Base error: `zh` is shown to people (salespeople, managers), `en` goes to logs."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class UnreadableFile(SalespipeError):
    """A file that cannot be read at all (corrupt, encrypted, not Excel, empty)."""


class BadValue(ValueError):
    """A cell value that cannot be used; the message is the Chinese reason for the salesperson."""


class WarehouseBusy(SalespipeError):
    """Another run holds the warehouse for writing."""


class NotOurWarehouse(SalespipeError):
    """The warehouse file is not one of salespipe's: not DuckDB at all, or another program's DuckDB database."""


class WarehouseDamaged(SalespipeError):
    """A block of the warehouse (or of a run's private copy) fails DuckDB's checksum: nothing is published."""


class NoDataForPeriod(SalespipeError):
    """A report's period holds nothing at all — no accepted row, no rejected row, no file read (a Sunday, a
    holiday, a future date): no report is written (the CLI exits 1 with the reason; a flow skips the report)."""
