import sys, time
import numpy as np, pandas as pd
sys.path.insert(0, "/tmp/exp/edgeproto")
from graph import pipeline, MISSING_TEXT
import onnxruntime as ort
rng = np.random.default_rng(1)
n = 4000
df = pd.DataFrame({
    "amount": rng.gamma(2, 50, n), "avg": rng.gamma(2, 40, n), "hour": rng.integers(0, 24, n).astype(float),
    "c1": rng.integers(0, 30, n).astype(float), "c24": rng.integers(0, 300, n).astype(float),
    "flag": rng.integers(0, 2, n).astype(float),
    "cat": rng.choice(["a", "b", "c", "d", None], n), "txt": rng.choice([f"t{i}" for i in range(50)] + [None], n),
})
df.loc[rng.random(n) < 0.05, "amount"] = np.nan
def derive(c):
    return {"log_amount": np.log1p(c["amount"]), "ratio": c["amount"] / (c["avg"] + 1.0),
            "night": (c["hour"] < 6).astype(np.float64), "vel": c["c1"] / (c["c24"] + 1.0),
            "clipped": np.clip(c["amount"], 10, 200), "w": np.where(c["flag"] > 0.5, c["amount"], -1.0),
            "inf": c["c1"] / c["flag"]}
numeric = ["amount", "avg", "hour", "c1", "c24", "flag"]
vocab = {"cat": sorted({v for v in df["cat"] if isinstance(v, str)}), "txt": sorted({v for v in df["txt"] if isinstance(v, str)})[:40]}
def transform(frame):
    cols = {k: frame[k].to_numpy(dtype=float) for k in numeric}
    enc = dict(cols)
    for k, v in vocab.items():
        codes = {x: float(i) for i, x in enumerate(v)}
        enc[k] = np.array([np.nan if not isinstance(x, str) else codes.get(x, -1) for x in frame[k]], dtype=float)
    enc |= derive(cols)
    out = list(numeric) + list(vocab) + list(derive(cols))
    m = np.column_stack([enc[o] for o in out]); m[np.isinf(m)] = np.nan
    return m, out
X, out = transform(df)
y = ((np.nan_to_num(X[:, 0]) > 120) ^ (X[:, 6] < 1)).astype(int)
from sklearn.ensemble import HistGradientBoostingClassifier
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
est = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X, y)
m = convert_sklearn(est, initial_types=[("features", FloatTensorType([None, X.shape[1]]))], target_opset={"": 17, "ai.onnx.ml": 3}, options={id(est): {"zipmap": False}})
full = pipeline(m, ("probabilities", 1), numeric, vocab, out, derive)
so = ort.SessionOptions(); so.intra_op_num_threads = 1
s = ort.InferenceSession(full.SerializeToString(), so, providers=["CPUExecutionProvider"])
feeds = {k: df[k].to_numpy(dtype=np.float64) for k in numeric}
feeds |= {k: np.array([v if isinstance(v, str) else MISSING_TEXT for v in df[k]], dtype=object) for k in vocab}
got = s.run(["score"], feeds)[0]
ref = est.predict_proba(X)[:, 1]
print("maxdiff", np.abs(got - ref).max(), "flips", int(((got >= .5) != (ref >= .5)).sum()), got.dtype, got.shape)
one = {k: v[:1] for k, v in feeds.items()}
t = time.perf_counter()
for _ in range(2000): s.run(["score"], one)
print("pipeline 1 row us", (time.perf_counter() - t) / 2000 * 1e6)
