"""Score with an edge bundle on a device: numpy and onnxruntime, nothing of this project.

The bundle's `pipeline.onnx` takes the raw fields: the feature transform is inside the graph
(vocabulary lookups, derived features, missing values as NaN), so this module only checks
the bundle against its manifest and turns records into the graph's inputs. Copy this file
and the bundle to the device: `EdgeModel.load(bundle).scores(records)`, or `.decisions(records)`
for the labels at the bundle's threshold.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Before ONNX Runtime loads: no telemetry, and no device id file in the temporary directory.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import onnxruntime as ort

MANIFEST = "manifest.json"
# A missing string reaches the graph as this value: string tensors hold no None.
MISSING_TEXT = "\x00"


class EdgeBundleError(RuntimeError):
    """A bundle file is missing or does not match its sha256 in the manifest."""


def verify(directory: Path) -> dict[str, Any]:
    """The manifest, once every file it lists matches its sha256."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise EdgeBundleError(f"no {MANIFEST} in {directory}")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    for name, digest in manifest["files"].items():
        path = directory / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise EdgeBundleError(f"{name} is missing or does not match its sha256 in {MANIFEST}")
    return manifest


@dataclass(frozen=True)
class EdgeModel:
    """An ONNX Runtime session over a verified bundle, fed with plain records."""

    session: ort.InferenceSession
    numbers: tuple[str, ...]
    texts: tuple[str, ...]
    threshold: float | None

    @classmethod
    def load(cls, directory: Path, file: str = "pipeline.onnx", threads: int = 1) -> EdgeModel:
        """Verify the bundle, then open `file` (`pipeline.ort` on a minimal build)."""
        manifest = verify(directory)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(directory / file), options, providers=["CPUExecutionProvider"]
        )
        return cls.from_session(session, manifest["inputs"], manifest.get("threshold"))

    @classmethod
    def from_session(
        cls, session: ort.InferenceSession, inputs: Mapping[str, str], threshold: float | None
    ) -> EdgeModel:
        """`inputs`: each field's kind ("number" or "text"), as the manifest lists them."""
        return cls(
            session=session,
            numbers=tuple(name for name, kind in inputs.items() if kind == "number"),
            texts=tuple(name for name, kind in inputs.items() if kind == "text"),
            threshold=threshold,
        )

    def feeds(self, records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """One 1-D array per input: numbers (booleans too) as float64, NaN where missing."""
        feeds = {
            name: np.fromiter(
                (np.nan if (v := r.get(name)) is None else v for r in records),
                dtype=np.float64,
                count=len(records),
            )
            for name in self.numbers
        }
        for name in self.texts:
            texts = [MISSING_TEXT if (v := r.get(name)) is None else str(v) for r in records]
            feeds[name] = np.array(texts, dtype=object)
        return feeds

    def scores(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The model's output per record: a probability, or the predicted value."""
        (scores,) = self.session.run(["score"], self.feeds(records))
        return np.asarray(scores, dtype=np.float64)

    def decisions(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Positive where the score reaches the bundle's threshold (classifiers only)."""
        if self.threshold is None:
            raise EdgeBundleError("this bundle has no decision threshold (a regression model)")
        return self.scores(records) >= self.threshold
