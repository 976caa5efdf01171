"""Model bundles: the fitted transform, the model file and a manifest of hashes.

A bundle is written once at training time and logged to MLflow. Loading checks
every file against the sha256 in the manifest before anything is deserialized,
and the model itself is stored in a format that cannot run code when loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..core.features import FeatureTransformer
from ..core.model import FRAMEWORK, Model
from ..core.predictor import ModelMetadata, Predictor
from ..core.schemas import FeatureRecord

MANIFEST = "manifest.json"
FEATURES_FILE = "features.json"
FORMAT_VERSION = 1


class BundleIntegrityError(RuntimeError):
    """A bundle file is missing, unexpected, or does not match its recorded hash."""


class OtherSchemaError(BundleIntegrityError):
    """The bundle was trained on other fields than core/schemas.py describes now.

    Its transform would fail on every record (or, worse, score the wrong columns),
    so it is refused when loaded, naming the fields: retrain on the new schema.
    """


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_bundle(
    directory: Path, transformer: FeatureTransformer, model: Model, metadata: ModelMetadata
) -> Path:
    """Write the transform, the model and the manifest; returns the manifest path."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    transformer.save(directory / FEATURES_FILE)
    model_path = model.save(directory)
    files = [directory / FEATURES_FILE, model_path]
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "metadata": asdict(metadata),
        "params": model.params,
        "files": {path.name: sha256_of(path) for path in files},
    }
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
    return path


def verify_bundle(directory: Path) -> dict[str, Any]:
    """Return the manifest if every listed file matches its hash and nothing else is there."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BundleIntegrityError(f"no {MANIFEST} in {directory}")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleIntegrityError(f"unsupported bundle format {manifest.get('format_version')}")
    expected: dict[str, str] = manifest["files"]
    present = {p.name for p in directory.iterdir() if p.is_file() and p.name != MANIFEST}
    if present != set(expected):
        raise BundleIntegrityError(
            f"bundle files {sorted(present)} differ from the manifest's {sorted(expected)}"
        )
    for name, digest in expected.items():
        if sha256_of(directory / name) != digest:
            raise BundleIntegrityError(f"{name} does not match its sha256 in {MANIFEST}")
    framework = manifest["metadata"]["framework"]
    if framework != FRAMEWORK:
        raise BundleIntegrityError(
            f"bundle was trained with {framework}, this build serves {FRAMEWORK}"
        )
    _check_fields(manifest["metadata"]["features"])
    return manifest


def _check_fields(trained_on: list[str]) -> None:
    described = list(FeatureRecord.model_fields)
    if set(trained_on) == set(described):
        return
    gone = [name for name in trained_on if name not in described]
    new = [name for name in described if name not in trained_on]
    raise OtherSchemaError(
        "the model was trained on other fields than core/schemas.py describes"
        + (f"; no longer described: {', '.join(gone)}" if gone else "")
        + (f"; new: {', '.join(new)}" if new else "")
        + ". Retrain on the new schema (make all)."
    )


def load_predictor(directory: Path, **overrides: Any) -> Predictor:
    """Verify, then load a bundle; `overrides` set registry facts such as version and alias."""
    manifest = verify_bundle(directory)
    metadata = ModelMetadata(**{**manifest["metadata"], **overrides})
    transformer = FeatureTransformer.load(directory / FEATURES_FILE)
    model = Model.load(directory, manifest["params"])
    return Predictor(transformer=transformer, model=model, metadata=metadata)
