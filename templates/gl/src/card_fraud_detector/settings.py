"""Runtime settings, read from the environment and an optional `.env` file.

Every path is relative to the working directory (the project root), so the same
code runs on a laptop, in CI and in a container. MLflow's own variable names are
kept (`MLFLOW_TRACKING_URI`) so the MLflow CLI and this code see the same store.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_NAME = "card-fraud-detector"


class Settings(BaseSettings):
    """All knobs of the lifecycle; override any of them with an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Data: where ingest reads from and where the lake lives.
    data_source: Literal["sample", "file", "duckdb"] = "sample"
    data_path: Path | None = Field(
        default=None, description="CSV or Parquet file, for data_source=file"
    )
    data_query: str | None = Field(default=None, description="SQL, for data_source=duckdb")
    duckdb_path: Path = Path("data/warehouse.duckdb")
    sample_rows: int = Field(default=20_000, ge=100, description="synthetic transactions to generate")
    seed: int = 42
    data_dir: Path = Path("data")
    artifacts_dir: Path = Path("artifacts")
    reports_dir: Path = Path("reports")

    # Tracking and registry.
    mlflow_tracking_uri: str = "sqlite:///mlruns.db"
    mlflow_experiment_name: str = PROJECT_NAME
    model_name: str = PROJECT_NAME
    min_improvement: float = Field(
        default=0.0, ge=0.0, description="how much the candidate must beat the champion by"
    )

    # Serving.
    model_uri: str = f"models:/{PROJECT_NAME}@champion"
    max_batch_size: int = Field(default=1024, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def bundle_dir(self) -> Path:
        """Where training writes the model bundle before it is logged to MLflow."""
        return self.artifacts_dir / "model"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings` instead)."""
    return Settings()
