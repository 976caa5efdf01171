import time, sys
import numpy as np
rng = np.random.default_rng(0)
n, k = 5000, 13
X = rng.normal(size=(n, k))
X[rng.random((n, k)) < 0.05] = np.nan
y = ((np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * 0.5 + rng.normal(scale=0.5, size=n)) > 1).astype(int)
yr = np.nan_to_num(X[:, 0]) * 3 + rng.normal(size=n)
import onnxruntime as ort
from onnxruntime import SessionOptions
def session(m):
    so = SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
def t(f, n=3000):
    f(); s = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - s) / n * 1e6
from threadpoolctl import threadpool_limits
threadpool_limits(1)
from skl2onnx import to_onnx, convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from onnxmltools import convert_xgboost, convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType as MFloat
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
import xgboost as xgb, lightgbm as lgb
typ = [("features", FloatTensorType([None, k]))]
results = []
for task in ("clf", "reg"):
    tgt = y if task == "clf" else yr
    # sklearn
    est = (HistGradientBoostingClassifier if task == "clf" else HistGradientBoostingRegressor)(max_iter=200, max_leaf_nodes=31, random_state=0).fit(X, tgt)
    opts = {id(est): {"zipmap": False}} if task == "clf" else None
    m = convert_sklearn(est, initial_types=typ, target_opset={"": 17, "ai.onnx.ml": 3}, options=opts)
    native = (lambda A, est=est: est.predict_proba(A)[:, 1]) if task == "clf" else est.predict
    results.append(("sklearn", task, m, native))
    # xgboost
    params = {"objective": "binary:logistic" if task == "clf" else "reg:squarederror", "max_depth": 6, "eta": 0.1, "nthread": 1}
    b = xgb.train(params, xgb.DMatrix(X, label=tgt), num_boost_round=200)
    model = (xgb.XGBClassifier if task == "clf" else xgb.XGBRegressor)()
    model._Booster = b
    if task == "clf": model.n_classes_ = 2
    try:
        m = convert_xgboost(b, initial_types=[("features", MFloat([None, k]))], target_opset=15)
    except Exception as e:
        print("xgb booster convert failed:", type(e).__name__, str(e)[:200]); m = None
    results.append(("xgboost", task, m, lambda A, b=b: b.inplace_predict(A)))
    # lightgbm
    lp = {"objective": "binary" if task == "clf" else "regression", "num_leaves": 31, "learning_rate": 0.1, "verbose": -1, "num_threads": 1}
    lb = lgb.train(lp, lgb.Dataset(X, label=tgt), num_boost_round=200)
    try:
        m = convert_lightgbm(lb, initial_types=[("features", MFloat([None, k]))], target_opset=15, zipmap=False)
    except Exception as e:
        print("lgb booster convert failed:", type(e).__name__, str(e)[:200]); m = None
    results.append(("lightgbm", task, m, lambda A, lb=lb: lb.predict(A)))
for fw, task, m, native in results:
    if m is None: continue
    s = session(m)
    outs = [o.name for o in s.get_outputs()]
    shapes = [(o.name, o.shape, o.type) for o in s.get_outputs()]
    A32 = X.astype(np.float32)
    got = s.run(None, {"features": A32})
    ref = np.asarray(native(X), dtype=np.float64)
    # pick output: probabilities column 1 for clf; variable for reg
    cand = got[-1] if task == "clf" else got[0]
    cand = np.asarray(cand, dtype=np.float64)
    cand = cand[:, 1] if cand.ndim == 2 and cand.shape[1] == 2 else cand.reshape(-1)
    diff = np.abs(cand - ref)
    flips = int(((cand >= 0.5) != (ref >= 0.5)).sum()) if task == "clf" else None
    one64 = X[:1]; one32 = A32[:1]
    tn = t(lambda: native(one64)); to = t(lambda: s.run(None, {"features": one32}))
    print(f"{fw:8} {task} outs={shapes} maxdiff={diff.max():.2e} flips={flips} native1={tn:.1f}us onnx1={to:.1f}us x{tn/to:.1f}")
