"""Test setup of the ONNX edge runtime: the consumers' tests run once per model runtime.

The serving contract (and batch scoring's tests) must hold whether the model is scored
by its framework or by the exported ONNX graph (MODEL_RUNTIME=onnx), so this plugin
runs those modules with both; every other test gets the default, native.
"""

from __future__ import annotations

import pytest

RUNTIMES = ("native", "onnx")
BOTH_RUNTIMES = ("test_contract", "test_score")


@pytest.fixture(scope="session")
def model_runtime() -> str:
    """The runtime of the session's server (or scoring job) outside the modules above."""
    return "native"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "model_runtime" in metafunc.fixturenames and module in BOTH_RUNTIMES:
        metafunc.parametrize("model_runtime", RUNTIMES, scope="session")
