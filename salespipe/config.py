"""One TOML file holds every tunable; see config/salespipe.toml for the comments."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "salespipe.toml"


@dataclass
class Config:
    root: Path
    raw: dict = field(repr=False)
    warehouse: Path

    def path(self, key: str) -> Path:
        """A path from [paths], resolved against the project root."""
        return (self.root / self.raw["paths"][key]).resolve()

    @property
    def ingest(self) -> dict:
        return self.raw.get("ingest", {})

    @property
    def timezone(self) -> str:
        return self.ingest.get("timezone", "Asia/Shanghai")


def load_config(config_file: str | Path | None = None, warehouse: str | Path | None = None) -> Config:
    """Read the TOML file; --warehouse beats SALESPIPE_WAREHOUSE beats [paths].warehouse."""
    path = Path(config_file) if config_file else DEFAULT_CONFIG
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    root = path.resolve().parent.parent if path.resolve().parent.name == "config" else path.resolve().parent
    wh = warehouse or os.environ.get("SALESPIPE_WAREHOUSE") or (root / raw["paths"]["warehouse"])
    return Config(root=root, raw=raw, warehouse=Path(wh).resolve())
