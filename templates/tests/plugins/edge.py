"""Test setup of the ONNX edge runtime: the consumers' tests run once per model runtime.

The serving contract (and batch scoring's tests) must hold whether the model is scored
by its framework or by the exported ONNX graph (MODEL_RUNTIME=onnx), so this plugin
runs those modules with both; every other test gets the default, native.

Every test that asks for the runtime is parametrized, the others with native alone: a
session fixture built on it (the server) is then rebuilt when the runtime changes. Left
to the plain fixture, a test after the onnx half would reuse the onnx server.
"""

from __future__ import annotations

import pytest

RUNTIMES = ("native", "onnx")
BOTH_RUNTIMES = ("test_contract", "test_score")


@pytest.fixture(scope="session")
def model_runtime() -> str:
    """The runtime of a test that asks for it by name (request.getfixturevalue): native."""
    return "native"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "model_runtime" in metafunc.fixturenames:
        runtimes = RUNTIMES if module in BOTH_RUNTIMES else RUNTIMES[:1]
        metafunc.parametrize("model_runtime", runtimes, scope="session")
