"""Where ingest reads from: the bundled sample, a CSV/Parquet file, or DuckDB SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ..core.fields import FEATURES
from ..core.schemas import ID_COLUMN
from ..settings import Settings
from .sample_data import load_sample_data

TEXT_COLUMNS = [
    *([ID_COLUMN] if ID_COLUMN else []),
    *(n for n, f in FEATURES.items() if f.categorical),
]


class SourceConfigError(ValueError):
    """The settings do not describe a readable source."""


def read_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file, chosen by its suffix."""
    if not path.is_file():
        raise SourceConfigError(f"DATA_PATH {path} does not exist")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        # Identifiers and string features stay text: "00042" must not come back as 42.
        return pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str))
    raise SourceConfigError(f"DATA_PATH must be .csv or .parquet, got {path.name}")


def read_duckdb(database: Path, query: str) -> pd.DataFrame:
    """Run a read-only SQL query on an embedded DuckDB warehouse file."""
    if not database.is_file():
        raise SourceConfigError(f"DUCKDB_PATH {database} does not exist")
    with duckdb.connect(str(database), read_only=True) as connection:
        frame: pd.DataFrame = connection.sql(query).df()
    return frame


def load_source(settings: Settings) -> pd.DataFrame:
    """Read the configured source into a DataFrame (validation happens later)."""
    match settings.data_source:
        case "sample":
            return load_sample_data(settings.sample_rows, settings.seed)
        case "file":
            if settings.data_path is None:
                raise SourceConfigError("DATA_SOURCE=file needs DATA_PATH")
            return read_file(settings.data_path)
        case "duckdb":
            if not settings.data_query:
                raise SourceConfigError("DATA_SOURCE=duckdb needs DATA_QUERY")
            return read_duckdb(settings.duckdb_path, settings.data_query)
