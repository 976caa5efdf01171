import numpy as np, pandas as pd
from pathlib import Path
from card_fraud_detector.io.bundle import load_predictor
from card_fraud_detector.core.features import numeric_columns
from card_fraud_detector.core.schemas import derive_features
from card_fraud_detector.edge.convert import to_onnx
from card_fraud_detector.edge.graph import pipeline
from card_fraud_detector.edge.runner import EdgeModel, MANIFEST
import onnxruntime as ort, json, hashlib, tempfile
p = load_predictor(Path("artifacts/model"))
tr = p.transformer
trees, output, column = to_onnx(p.model, len(tr.output_columns))
full = pipeline(trees, (output, column), list(numeric_columns()), tr.vocabularies, tr.output_columns, derive_features)
d = Path(tempfile.mkdtemp()); (d / "model.onnx").write_bytes(full.SerializeToString())
inputs = {n: "number" for n in numeric_columns()} | {n: "text" for n in tr.vocabularies}
(d / MANIFEST).write_text(json.dumps({"files": {"model.onnx": hashlib.sha256((d / "model.onnx").read_bytes()).hexdigest()}, "inputs": inputs, "threshold": p.metadata.threshold}))
em = EdgeModel.load(d)
test = pd.read_parquet("data/splits/test.parquet")
got = em.scores(test[p.metadata.features].to_dict("records")); ref = p.scores(test); t = p.metadata.threshold
print("maxdiff", np.abs(got - ref).max(), "flips", int(((got >= t) != (ref >= t)).sum()))
(d / "model.onnx").write_bytes((d / "model.onnx").read_bytes()[:-1] + b"\x00")
try:
    EdgeModel.load(d); print("tamper NOT refused")
except Exception as e:
    print("tamper refused:", e)
import shutil; shutil.rmtree(d)
