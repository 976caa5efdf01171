"""The default project's champion as one ONNX graph (transform inside), against the Predictor."""
import sys, time
from pathlib import Path
import numpy as np, pandas as pd
sys.path.insert(0, "/tmp/exp/edgeproto")
from graph import pipeline
from threadpoolctl import threadpool_limits
threadpool_limits(1)
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
import onnxruntime as ort
from card_fraud_detector.io.bundle import load_predictor
from card_fraud_detector.core.features import numeric_columns, columns_of_records
from card_fraud_detector.core.schemas import derive_features
sys.path.insert(0, "/work/main/templates/src/{{package_name}}/edge")
p = load_predictor(Path("/tmp/exp/run/p0/artifacts/model"))
tr = p.transformer
k = len(tr.output_columns)
est = p.model._estimator
m = convert_sklearn(est, initial_types=[("features", FloatTensorType([None, k]))], target_opset={"": 17, "ai.onnx.ml": 3}, options={id(est): {"zipmap": False}})
full = pipeline(m, ("probabilities", 1), list(numeric_columns()), tr.vocabularies, tr.output_columns, derive_features)
test = pd.read_parquet("/tmp/exp/run/p0/data/splits/test.parquet")
rows = test[p.metadata.features].to_dict("records")
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
sess = ort.InferenceSession(full.SerializeToString(), so, providers=["CPUExecutionProvider"])
import importlib.util
spec = importlib.util.spec_from_file_location("runner", "/tmp/exp/runner.py")
runner = importlib.util.module_from_spec(spec); sys.modules["runner"] = runner; spec.loader.exec_module(runner)
inputs = {n: "number" for n in numeric_columns()} | {n: "text" for n in tr.vocabularies}
em = runner.EdgeModel(sess, tuple(n for n, v in inputs.items() if v == "number"), tuple(n for n, v in inputs.items() if v == "text"), p.metadata.threshold)
got = em.scores(rows)
ref = p.scores(test)
thr = p.metadata.threshold
print(f"rows {len(rows)} maxdiff {np.abs(got - ref).max():.2e} flips {int(((got >= thr) != (ref >= thr)).sum())} threshold {thr:.4f}")
def t(f, n=3000):
    for _ in range(200): f()
    s = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - s) / n * 1e6
one = rows[:1]
print(f"one record: native predict {t(lambda: p.predict(one)):.0f} us, edge runner scores {t(lambda: em.scores(one)):.1f} us")
print(f"64 records: native {t(lambda: p.predict(rows[:64]), 500):.0f} us, edge {t(lambda: em.scores(rows[:64]), 500):.1f} us")
print("graph bytes", len(full.SerializeToString()))
ms = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
M = tr.matrix(columns_of_records(one)).astype(np.float32)
print(f"model-only graph on the matrix: {t(lambda: ms.run(['probabilities'], {'features': M})):.1f} us; numpy transform {t(lambda: tr.matrix(columns_of_records(one))):.1f} us; feeds {t(lambda: em.feeds(one)):.1f} us")
