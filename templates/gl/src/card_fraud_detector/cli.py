"""Command-line entry point: one sub-command per lifecycle step.

`python -m card_fraud_detector <command>`; settings come from the environment
(see settings.py). Failures exit non-zero with a one-line reason, so Make,
CI and orchestrators stop the pipeline at the failing step.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from .core.validation import DataValidationError
from .io.bundle import BundleIntegrityError
from .io.sources import SourceConfigError
from .logs import configure_logging
from .settings import Settings, get_settings

logger = logging.getLogger("card_fraud_detector")
EXIT_BAD_DATA = 2
EXIT_BAD_CONFIG = 3


def _ingest(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import ingest

    return str(ingest.run(settings))


def _validate(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import validate

    return str(validate.run(settings))


def _train(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import train

    return train.run(settings)


def _evaluate(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import evaluate

    return evaluate.run(settings)


def _register(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import register

    return register.run(settings)


def _pipeline(settings: Settings, _: argparse.Namespace) -> object:
    from .jobs import pipeline

    return pipeline.run(settings)


def _serve(settings: Settings, args: argparse.Namespace) -> object:
    import uvicorn

    from .serving.api import create_app

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return None


def _bench(settings: Settings, args: argparse.Namespace) -> object:
    from .serving import bench

    return bench.run(settings, requests_per_level=args.requests, as_json=args.json)


COMMANDS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], object]]] = {
    "ingest": ("read the configured source into the lake's raw zone", _ingest),
    "validate": ("validate the newest raw partition", _validate),
    "train": ("fit the transform and the model, log the MLflow run", _train),
    "evaluate": ("score the test split, write metrics and plots", _evaluate),
    "register": ("register the model; promote it if it beats the champion", _register),
    "pipeline": ("run every step above in order", _pipeline),
    "serve": ("serve MODEL_URI over HTTP", _serve),
    "bench": ("serving latency and throughput against in-process predict", _bench),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="card-fraud-detector", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, _) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1")
            sub.add_argument("--port", type=int, default=8000)
        if name == "bench":
            sub.add_argument("--requests", type=int, default=2000, help="requests per level")
            sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _printable(result: Any) -> Any:
    return asdict(result) if is_dataclass(result) and not isinstance(result, type) else result


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    _, handler = COMMANDS[args.command]
    try:
        result = handler(settings, args)
    except DataValidationError as error:
        print(f"{args.command}: invalid data: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_DATA)
    except (SourceConfigError, BundleIntegrityError, FileNotFoundError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    if result is not None and args.command != "bench":
        print(json.dumps(_printable(result), indent=2, default=str))
