"""Serve the project's champion as `make serve` does and score a CSV's first rows with its client.

Run with a generated project's Python, from the project: `python predict.py <package> <csv> <log>`.
Prints {"served": [...], "in_process": [...]} as JSON: the server's predictions and the
champion's own, loaded in this process. The features are whatever the schema declares.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pandas as pd

package, csv, log = sys.argv[1:4]
fields = importlib.import_module(f"{package}.core.fields")
process = importlib.import_module(f"{package}.serving.process")
client_module = importlib.import_module(f"{package}.serving.client")
loader = importlib.import_module(f"{package}.serving.loader")
settings = importlib.import_module(f"{package}.settings")
frame = pd.read_csv(csv).head(5)
records = json.loads(frame[list(fields.FEATURES)].to_json(orient="records"))
with process.running_server({}, Path(log)) as port:
    client = client_module.ServingClient(port=port)
    served = client.predict(records)
    client.close()
in_process = loader.load_served_model(settings.Settings()).predict(records)
print(json.dumps({"served": served, "in_process": [p.model_dump() for p in in_process]}))
