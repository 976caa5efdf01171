"""`make bench`: batch scoring throughput (rows/s) against in-process predict.

The same bundle scores the same sample rows three ways, at 1k and 10k rows per
chunk: the Predictor on rows already in memory (the floor: no file, no checks),
and the `score` job end to end, Parquet to Parquet and CSV to CSV (reading,
contract checks, scoring, writing, renaming, loading the model included).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..core.schemas import FeatureRecord
from ..io.bundle import load_predictor
from ..io.sample_data import load_sample_data
from ..serving.loader import limit_native_threads
from ..settings import Settings
from . import score

CHUNK_SIZES = (1_000, 10_000)
IN_PROCESS = "in-process predict"


@dataclass(frozen=True)
class Measurement:
    target: str
    chunk_size: int
    rows: int
    seconds: float
    rows_per_second: float


def _measurement(target: str, chunk_size: int, rows: int, seconds: float) -> Measurement:
    return Measurement(target, chunk_size, rows, round(seconds, 3), round(rows / seconds, 1))


def sample_rows(rows: int, seed: int) -> pd.DataFrame:
    """`rows` sample records; a small bundled data set is repeated to get there."""
    sample = load_sample_data(rows, seed)
    repeats = -(-rows // len(sample))
    return pd.concat([sample] * repeats, ignore_index=True).head(rows)


def measure_all(settings: Settings, rows: int, workdir: Path) -> list[Measurement]:
    bundle = settings.bundle_dir.resolve()
    if not (bundle / "manifest.json").is_file():
        raise FileNotFoundError(f"no model bundle in {bundle}: run `make all` first")
    limit_native_threads()  # what `score` does
    frame = sample_rows(rows, settings.seed)
    records = frame[list(FeatureRecord.model_fields)].to_dict("records")
    predictor = load_predictor(bundle)
    predictor.predict(records[:100])  # warm-up
    results = []
    for chunk_size in CHUNK_SIZES:
        started = time.perf_counter()
        for first in range(0, rows, chunk_size):
            predictor.predict(records[first : first + chunk_size])
        results.append(_measurement(IN_PROCESS, chunk_size, rows, time.perf_counter() - started))

    job = settings.model_copy(update={"model_uri": str(bundle)})
    for suffix in (".parquet", ".csv"):
        source = workdir / f"input{suffix}"
        if suffix == ".csv":
            frame.to_csv(source, index=False)
        else:
            frame.to_parquet(source, index=False)
        for chunk_size in CHUNK_SIZES:
            summary = score.run(job, source, workdir / f"output{suffix}", chunk_size=chunk_size)
            name = f"score {suffix[1:]} to {suffix[1:]}"
            results.append(_measurement(name, chunk_size, summary.rows, summary.seconds))
    return results


def table(results: list[Measurement]) -> str:
    floor = {m.chunk_size: m.rows_per_second for m in results if m.target == IN_PROCESS}
    lines = [
        f"| target | chunk | rows | seconds | rows/s | vs {IN_PROCESS} |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {m.target} | {m.chunk_size} | {m.rows} | {m.seconds:.2f} "
            f"| {m.rows_per_second:.0f} | {m.rows_per_second / floor[m.chunk_size]:.2f} |"
            for m in results
        ),
    ]
    return "\n".join(lines)


def run(settings: Settings, rows: int = 100_000, as_json: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="score-bench-") as workdir:
        results = measure_all(settings, rows, Path(workdir))
    print(json.dumps([asdict(m) for m in results], indent=2) if as_json else table(results))
