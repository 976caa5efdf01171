"""The ONNX export and runtime (docs in the README's "Edge export" section).

ONNX Runtime (1.32) collects telemetry on Linux and persists a device id in the temporary
directory; this project runs offline and leaves nothing behind, so it is off unless the
environment already says otherwise.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
