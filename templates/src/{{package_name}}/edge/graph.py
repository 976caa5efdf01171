"""The feature transform as ONNX nodes, so a device needs the .onnx file and nothing else.

Categorical columns become LabelEncoder lookups of the fitted vocabularies, numbers pass
through, and `derive_features` (core/schemas.py) is traced: called once on symbolic
columns whose arithmetic, comparisons and numpy functions record ONNX nodes instead of
computing. What it cannot record it refuses by name, and the export says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .runner import MISSING_TEXT


class UntraceableError(TypeError):
    """derive_features did something the ONNX export cannot record."""


class Graph:
    """Nodes, constants and fresh names for the transform being built."""

    def __init__(self, prefix: str = "transform/") -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names = (f"{prefix}{i}" for i in itertools.count())

    def name(self) -> str:
        return next(self._names)

    def node(self, op: str, inputs: list[str], domain: str = "", **attributes: Any) -> str:
        output = self.name()
        self.nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attributes))
        return output

    def constant(self, value: float | bool) -> str:
        name = self.name()
        dtype = np.bool_ if isinstance(value, (bool, np.bool_)) else np.float64
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name


_BINARY = {
    np.add: "Add",
    np.subtract: "Sub",
    np.multiply: "Mul",
    np.divide: "Div",
    np.true_divide: "Div",
    np.power: "Pow",
}
_COMPARE = {
    np.less: "Less",
    np.less_equal: "LessOrEqual",
    np.greater: "Greater",
    np.greater_equal: "GreaterOrEqual",
    np.equal: "Equal",
}
_LOGICAL = {np.logical_and: "And", np.logical_or: "Or", np.bitwise_and: "And", np.bitwise_or: "Or"}
_UNARY = {np.log: "Log", np.exp: "Exp", np.sqrt: "Sqrt", np.absolute: "Abs", np.negative: "Neg"}


class Column:
    """A symbolic column: what derive_features does to it becomes graph nodes."""

    __array_priority__ = 1000

    def __init__(self, graph: Graph, name: str, boolean: bool = False) -> None:
        self.graph, self.name, self.boolean = graph, name, boolean

    # numpy calls these for np.log1p(column), 1.0 + column, column < 6, ...
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Column:
        if method != "__call__" or kwargs:
            raise UntraceableError(f"numpy.{ufunc.__name__}.{method} with {sorted(kwargs)}")
        g = self.graph
        if ufunc in _BINARY:
            a, b = (self._double(x) for x in inputs)
            return Column(g, g.node(_BINARY[ufunc], [a, b]))
        if ufunc in _COMPARE:
            a, b = (self._double(x) for x in inputs)
            return Column(g, g.node(_COMPARE[ufunc], [a, b]), boolean=True)
        if ufunc is np.not_equal:
            a, b = (self._double(x) for x in inputs)
            return Column(g, g.node("Not", [g.node("Equal", [a, b])]), boolean=True)
        if ufunc in _LOGICAL:
            a, b = (self._boolean(x) for x in inputs)
            return Column(g, g.node(_LOGICAL[ufunc], [a, b]), boolean=True)
        if ufunc in (np.logical_not, np.invert):
            return Column(g, g.node("Not", [self._boolean(inputs[0])]), boolean=True)
        if ufunc is np.isnan:
            return Column(g, g.node("IsNaN", [self._double(inputs[0])]), boolean=True)
        if ufunc is np.log1p:
            return Column(
                g, g.node("Log", [g.node("Add", [self._double(inputs[0]), g.constant(1.0)])])
            )
        if ufunc is np.expm1:
            return Column(
                g, g.node("Sub", [g.node("Exp", [self._double(inputs[0])]), g.constant(1.0)])
            )
        if ufunc in _UNARY:
            return Column(g, g.node(_UNARY[ufunc], [self._double(inputs[0])]))
        if ufunc in (np.minimum, np.maximum):
            # numpy propagates NaN; ONNX Min/Max do not say: keep NaN explicitly.
            a, b = (self._double(x) for x in inputs)
            picked = g.node("Min" if ufunc is np.minimum else "Max", [a, b])
            either_nan = g.node("Or", [g.node("IsNaN", [a]), g.node("IsNaN", [b])])
            nan = g.constant(float("nan"))
            return Column(g, g.node("Where", [either_nan, nan, picked]))
        raise UntraceableError(f"numpy.{ufunc.__name__}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Column:
        g = self.graph
        if func is np.where and len(args) == 3 and not kwargs:
            condition, a, b = args
            out = g.node("Where", [self._boolean(condition), self._double(a), self._double(b)])
            return Column(g, out)
        if func is np.clip and not kwargs:
            low = self.__array_ufunc__(np.maximum, "__call__", args[0], args[1])
            return self.__array_ufunc__(np.minimum, "__call__", low, args[2])
        raise UntraceableError(f"numpy.{func.__name__}")

    def astype(self, dtype: Any, copy: bool = True) -> Column:
        kind = np.dtype(dtype).kind
        if kind == "f":
            return Column(self.graph, self._double(self))
        if kind == "b":
            return Column(self.graph, self._boolean(self), boolean=True)
        raise UntraceableError(f"astype({np.dtype(dtype)})")

    def _double(self, value: Any) -> str:
        if isinstance(value, Column):
            if value.boolean:
                return self.graph.node("Cast", [value.name], to=TensorProto.DOUBLE)
            return value.name
        if isinstance(value, (bool, int, float, np.number, np.bool_)):
            return self.graph.constant(float(value))
        raise UntraceableError(f"an operand of type {type(value).__name__}")

    def _boolean(self, value: Any) -> str:
        if isinstance(value, Column):
            if value.boolean:
                return value.name
            return self.graph.node("Cast", [value.name], to=TensorProto.BOOL)
        if isinstance(value, (bool, np.bool_)):
            return self.graph.constant(bool(value))
        raise UntraceableError(f"an operand of type {type(value).__name__}")

    def __add__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.add, "__call__", self, other)

    def __radd__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.add, "__call__", other, self)

    def __sub__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.subtract, "__call__", self, other)

    def __rsub__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.subtract, "__call__", other, self)

    def __mul__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.multiply, "__call__", self, other)

    def __rmul__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.multiply, "__call__", other, self)

    def __truediv__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.divide, "__call__", self, other)

    def __rtruediv__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.divide, "__call__", other, self)

    def __pow__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.power, "__call__", self, other)

    def __lt__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.less, "__call__", self, other)

    def __le__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.less_equal, "__call__", self, other)

    def __gt__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.greater, "__call__", self, other)

    def __ge__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.greater_equal, "__call__", self, other)

    def __and__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.logical_and, "__call__", self, other)

    def __or__(self, other: Any) -> Column:
        return self.__array_ufunc__(np.logical_or, "__call__", self, other)

    def __neg__(self) -> Column:
        return self.__array_ufunc__(np.negative, "__call__", self)

    def __abs__(self) -> Column:
        return self.__array_ufunc__(np.absolute, "__call__", self)

    def __invert__(self) -> Column:
        return self.__array_ufunc__(np.logical_not, "__call__", self)

    def __eq__(self, other: object) -> Column:  # type: ignore[override]
        return self.__array_ufunc__(np.equal, "__call__", self, other)

    def __ne__(self, other: object) -> Column:  # type: ignore[override]
        return self.__array_ufunc__(np.not_equal, "__call__", self, other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise UntraceableError("a Python `if` or `and`/`or` on a column (use np.where, & and |)")


class TextColumn:
    """A string column: the transform encodes it; derive_features may not compute with it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        raise UntraceableError(f"the text column {self.name!r} ({attribute})")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise UntraceableError(f"numpy.{ufunc.__name__} on the text column {self.name!r}")


def pipeline(
    model: onnx.ModelProto,
    score: tuple[str, int | None],
    numeric: list[str],
    vocabularies: Mapping[str, list[str]],
    output_columns: list[str],
    derive: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> onnx.ModelProto:
    """`model` (float32 matrix in, `output_columns` order) behind the transform: raw fields in
    (numbers as double, strings as string, one 1-D tensor each), one float `score` out.

    `score` names the model's output holding the score and, for a class-probability
    matrix, the column to keep.
    """
    g = Graph()
    columns: dict[str, Any] = {name: Column(g, name) for name in numeric}
    columns |= {name: TextColumn(name) for name in vocabularies}
    encoded = {name: name for name in numeric}
    for name, vocabulary in vocabularies.items():
        codes = g.node(
            "LabelEncoder",
            [name],
            domain="ai.onnx.ml",
            keys_strings=[*vocabulary, MISSING_TEXT],
            values_floats=[*map(float, range(len(vocabulary))), float("nan")],
            default_float=-1.0,
        )
        encoded[name] = g.node("Cast", [codes], to=TensorProto.DOUBLE)
    derived = derive(columns)
    for name, value in derived.items():
        if not isinstance(value, Column):
            raise UntraceableError(f"derived feature {name!r} is not computed from the columns")
        encoded[name] = value._double(value)
    axes = g.name()
    g.initializers.append(numpy_helper.from_array(np.array([1], dtype=np.int64), axes))
    stacked = g.node(
        "Concat", [g.node("Unsqueeze", [encoded[c], axes]) for c in output_columns], axis=1
    )
    finite = g.node("Where", [g.node("IsInf", [stacked]), g.constant(float("nan")), stacked])
    features_input = model.graph.input[0].name
    g.nodes.append(helper.make_node("Cast", [finite], [features_input], to=TensorProto.FLOAT))

    output, column = score
    if column is None:
        shape = g.name()
        g.initializers.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), shape))
        last = helper.make_node("Reshape", [output, shape], ["score"])
    else:
        index = g.name()
        g.initializers.append(numpy_helper.from_array(np.array(column, dtype=np.int64), index))
        last = helper.make_node("Gather", [output, index], ["score"], axis=1)
    inputs = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, [None]) for n in numeric]
    inputs += [helper.make_tensor_value_info(n, TensorProto.STRING, [None]) for n in vocabularies]
    graph = helper.make_graph(
        [*g.nodes, *model.graph.node, last],
        "pipeline",
        inputs,
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None])],
        [*g.initializers, *model.graph.initializer],
    )
    opsets = {o.domain or "": o.version for o in model.opset_import}
    opsets["ai.onnx.ml"] = max(opsets.get("ai.onnx.ml", 2), 2)
    opsets[""] = max(opsets.get("", 13), 13)
    combined = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())]
    )
    combined.ir_version = model.ir_version
    onnx.checker.check_model(combined, full_check=True)
    return combined
