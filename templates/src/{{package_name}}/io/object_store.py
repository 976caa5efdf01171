"""MODEL_URI=s3://bucket/prefix/: a model bundle stored under an S3 prefix.

The prefix holds a bundle's files side by side (what `write_bundle` wrote: the
manifest, the transform, the model), as `aws s3 sync artifacts/model s3://…/` leaves
them. They are downloaded into a temporary directory that is removed once the
bundle is loaded, and checked there like any local bundle (io/bundle.py): every
file against its sha256, nothing missing, nothing extra. boto3 finds credentials
and region the standard way (the task or endpoint role in AWS), and reads
AWS_ENDPOINT_URL, which points it at an emulator in tests.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..core.predictor import Predictor
from .bundle import MANIFEST, BundleIntegrityError

SCHEME = "s3://"


@dataclass(frozen=True)
class Downloaded:
    """A bundle's local copy, and the S3 version of the manifest it came with."""

    directory: Path
    # None when the bucket keeps no versions; the models bucket does (deploy/aws).
    manifest_version: str | None


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` → ("bucket", "a/b/"): the prefix always ends with a slash, so
    `models/champion` never also matches the objects of `models/champion-old/`."""
    if not uri.startswith(SCHEME):
        raise ValueError(f"not an S3 URI: {uri}")
    bucket, _, prefix = uri.removeprefix(SCHEME).partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _names(objects: list[str], prefix: str, uri: str) -> list[str]:
    """The file names under the prefix; a bundle is flat, so anything nested is refused."""
    names = [key.removeprefix(prefix) for key in objects if key != prefix]  # "folder" marker
    nested = [name for name in names if "/" in name or name in (".", "..")]
    if nested:
        raise BundleIntegrityError(f"{uri} holds objects a bundle does not have: {nested[:5]}")
    if not names:
        raise BundleIntegrityError(f"no bundle at {uri}: the prefix holds no objects")
    if MANIFEST not in names:
        raise BundleIntegrityError(f"no {MANIFEST} at {uri}: not a bundle")
    return names


@contextmanager
def downloaded_bundle(uri: str) -> Iterator[Downloaded]:
    """Every object under the URI's prefix, in a temporary directory removed on exit."""
    bucket, prefix = split_uri(uri)
    # A session of its own: the environment as it is now, no state shared with other code.
    s3 = boto3.session.Session().client("s3")
    with tempfile.TemporaryDirectory(prefix="bundle-") as scratch:
        directory = Path(scratch)
        version: str | None = None
        try:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
            for name in _names(keys, prefix, uri):
                answer = s3.get_object(Bucket=bucket, Key=prefix + name)
                with (directory / name).open("wb") as stream:
                    shutil.copyfileobj(answer["Body"], stream)
                if name == MANIFEST:
                    version = answer.get("VersionId")
        except (BotoCoreError, ClientError) as error:
            raise BundleIntegrityError(f"cannot read the bundle at {uri}: {error}") from error
        yield Downloaded(directory, None if version in (None, "null") else version)


def load(uri: str, load_directory: Callable[[Path], Predictor]) -> Predictor:
    """Load the bundle at `uri` with `load_directory` (which verifies it), from a local copy.

    The predictor's version is the S3 version of the manifest: it names exactly what
    was published, and what to restore on a rollback.
    """
    with downloaded_bundle(uri) as bundle:
        predictor = load_directory(bundle.directory)
    metadata = replace(predictor.metadata, version=bundle.manifest_version)
    return replace(predictor, metadata=metadata)
