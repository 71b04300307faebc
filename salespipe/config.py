"""One TOML file holds every tunable; see config/salespipe.toml for the comments.

The file is checked on load against `Settings` (pydantic, which comes with Prefect): every section and
key has a type and a range, unknown keys are refused (a typo would otherwise be silently ignored), and a
list is a list — `selling_roles = "CC"` is refused instead of scoring the people whose role is C. A missing
file, bad TOML or a wrong value raises ConfigError, whose Chinese message names the file, section and key.
"""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from salespipe.errors import SalespipeError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "salespipe.toml"


class ConfigError(SalespipeError):
    """The configuration file is missing, not TOML, or holds a wrong value."""


@dataclass
class Config:
    root: Path
    raw: dict = field(repr=False)
    warehouse: Path

    @property
    def writing(self) -> dict:
        """How runs write the warehouse: keyword arguments of warehouse.publishing."""
        from salespipe.warehouse import STORAGE_VERSION

        runs = self.raw.get("runs", {})
        return {"wait_seconds": float(runs.get("lock_wait_seconds", 600)),
                "storage_version": runs.get("storage_version", STORAGE_VERSION)}

    def path(self, key: str) -> Path:
        """A path from [paths], resolved against the project root."""
        return (self.root / self.raw["paths"][key]).resolve()

    @property
    def ingest(self) -> dict:
        return self.raw.get("ingest", {})

    @property
    def timezone(self) -> str:
        return self.ingest.get("timezone", "Asia/Shanghai")


# ---------------------------------------------------------------- the schema (config/salespipe.toml)

Count = Optional[int]
Weight = Optional[float]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Paths(_Section):
    inbox: str
    archive: str
    rejected: str
    warehouse: str
    demo: Optional[str] = None
    reports: Optional[str] = None


class Ingest(_Section):
    timezone: Optional[str] = None
    default_area_code: Optional[str] = Field(None, pattern=r"^0\d{2,3}$")
    default_capacity: Count = Field(None, ge=1)
    header_scan_rows: Count = Field(None, ge=1)
    progress_min_files: Count = Field(None, ge=0)
    chunk_files: Count = Field(None, ge=1)
    loader_reads_every: Count = Field(None, ge=0)
    two_readers_from: Count = Field(None, ge=1)
    reader_memory_mb: Count = Field(None, ge=64)
    reader_timeout_seconds: Weight = Field(None, gt=0)


class Scores(_Section):
    weight_revenue: Weight = Field(None, ge=0)
    weight_profit: Weight = Field(None, ge=0)
    weight_visits: Weight = Field(None, ge=0)
    weight_active_rank: Weight = Field(None, ge=0)
    weight_service_rank: Weight = Field(None, ge=0)
    weight_per_customer: Weight = Field(None, ge=0)
    rank_step: Weight = Field(None, ge=0)
    quality_share: Weight = Field(None, ge=0, le=1)
    comparison: Optional[Literal["环比", "同比"]] = None
    cap: Weight = Field(None, ge=0)
    selling_roles: Optional[list[str]] = None


class Rates(_Section):
    smoothing_k: Weight = Field(None, ge=0)
    trailing_days: Count = Field(None, ge=1)


class Reconciliation(_Section):
    window_days: Count = Field(None, ge=0)


class Matching(_Section):
    auto_merge: Weight = None
    review: Weight = None
    max_block: Count = Field(None, ge=2)

    @model_validator(mode="after")
    def _review_below_auto_merge(self):
        if self.auto_merge is not None and self.review is not None and self.review > self.auto_merge:
            raise ValueError("review 不能大于 auto_merge / review must not exceed auto_merge")
        return self


class Report(_Section):
    trend_periods: Count = Field(None, ge=1)
    top_reasons: Count = Field(None, ge=0)
    gantt_months: Count = Field(None, ge=1)


class Mail(_Section):
    host: Optional[str] = None
    port: Count = Field(None, ge=1, le=65535)
    security: Optional[Literal["starttls", "ssl", "plain"]] = None
    user: Optional[str] = None
    password_env: Optional[str] = None
    sender: Optional[str] = None
    retries: Count = Field(None, ge=0)
    retry_wait_seconds: Weight = Field(None, ge=0)
    recipients: Optional[dict[str, list[str]]] = None


class Calendar(_Section):
    workdays: Optional[list[dt.date]] = None
    holidays: Optional[list[dt.date]] = None


class Feedback(_Section):
    deadline: Optional[str] = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    lookback_days: Count = Field(None, ge=1)


class Runs(_Section):
    lock_wait_seconds: Weight = Field(None, ge=0)
    storage_version: Optional[str] = Field(None, pattern=r"^v\d+\.\d+\.\d+$")


class Assignment(_Section):
    conflict_days: Count = Field(None, ge=1)
    recycle_days: Count = Field(None, ge=1)
    recycle_warning_days: Count = Field(None, ge=0)
    recycle_rejected_days: Count = Field(None, ge=0)
    fairness_days: Count = Field(None, ge=1)
    balance_days: Count = Field(None, ge=1)
    max_batch_share: Weight = Field(None, ge=1)
    approver_roles: Optional[list[str]] = Field(None, min_length=1)
    rejected_leads_return: Optional[bool] = None
    weight_specialty: Weight = Field(None, ge=0)
    weight_win_rate: Weight = Field(None, ge=0)
    weight_no_loss: Weight = Field(None, ge=0)
    weight_frequency: Weight = Field(None, ge=0)
    weight_followup_ability: Weight = Field(None, ge=0)
    weight_communication: Weight = Field(None, ge=0)
    weight_headroom: Weight = Field(None, ge=0)
    weight_balance: Weight = Field(None, ge=0)
    weight_type_balance: Weight = Field(None, ge=0)
    recycle_days_by_class: Optional[dict[Literal["A", "A1", "B", "B1", "C"], int]] = None


class Settings(_Section):
    paths: Paths
    ingest: Optional[Ingest] = None
    scores: Optional[Scores] = None
    rates: Optional[Rates] = None
    reconciliation: Optional[Reconciliation] = None
    matching: Optional[Matching] = None
    report: Optional[Report] = None
    mail: Optional[Mail] = None
    calendar: Optional[Calendar] = None
    feedback: Optional[Feedback] = None
    runs: Optional[Runs] = None
    assignment: Optional[Assignment] = None


_MESSAGES = {
    "list_type": "应为列表，例如 [\"CC\", \"KAE\"]", "int_type": "应为整数", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_type": "应为数字", "float_parsing": "应为数字", "string_type": "应为文字（加引号）",
    "bool_type": "应为 true 或 false", "dict_type": "应为一个表（[section] 或 {…}）", "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD", "date_type": "应为日期 YYYY-MM-DD", "extra_forbidden": "不认识的设置（拼写错误？）",
    "missing": "缺少这一项", "string_pattern_mismatch": "格式不对（区号如 022、0755；存储版本如 v1.4.0；时间如 09:00）",
}


def _explain(error: dict) -> str:
    where = [str(part) for part in error["loc"]]
    place = f"[{where[0]}]" + (f" {'.'.join(where[1:])}" if len(where) > 1 else "")
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        text = f"应不小于 {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        text = f"应不大于 {ctx.get('le', ctx.get('lt'))}"
    elif kind == "literal_error":
        text = f"只能是 {ctx.get('expected')}"
    elif kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
    else:
        text = _MESSAGES.get(kind, error["msg"])
    shown = "" if kind in ("missing",) else f"（现在是 {error.get('input')!r}）"
    return f"{place}：{text}{shown}"


def check_settings(raw: dict, path: Path) -> None:
    """Raise ConfigError naming every wrong key of the file."""
    try:
        Settings.model_validate(raw)
    except ValidationError as exc:
        problems = [_explain(e) for e in exc.errors()]
        raise ConfigError(f"配置文件 {path} 有误：" + "；".join(problems),
                          f"invalid configuration {path}: {exc.error_count()} problem(s): {exc}") from None


def load_config(config_file: str | Path | None = None, warehouse: str | Path | None = None) -> Config:
    """Read and check the TOML file; --warehouse beats SALESPIPE_WAREHOUSE beats [paths].warehouse.
    Raises ConfigError."""
    path = Path(config_file) if config_file else DEFAULT_CONFIG
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"配置文件不存在：{path}", f"no configuration file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{exc}", f"not TOML: {path}: {exc}") from None
    check_settings(raw, path)
    root = path.resolve().parent.parent if path.resolve().parent.name == "config" else path.resolve().parent
    wh = warehouse or os.environ.get("SALESPIPE_WAREHOUSE") or (root / raw["paths"]["warehouse"])
    return Config(root=root, raw=raw, warehouse=Path(wh).resolve())
