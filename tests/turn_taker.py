"""A process that takes `TURNS` turns at the model lock, each held `HOLD` seconds, logging when it asks and gets one.

python turn_taker.py LOCK NAME HOLD TURNS TIMEOUT LOG   (TIMEOUT "none": wait as long as it takes)
"""

import sys
import time
from pathlib import Path

from assistant.backends.turns import model_turn
from assistant.errors import BackendError

lock, name, hold, turns, timeout, log = sys.argv[1:]
for _ in range(int(turns)):
    with open(log, "a") as out:
        out.write(f"arrive:{name}\n")
    try:
        with model_turn(Path(lock), None if timeout == "none" else float(timeout)):
            with open(log, "a") as out:
                out.write(f"turn:{name}\n")
            time.sleep(float(hold))
    except BackendError:
        with open(log, "a") as out:
            out.write(f"gave-up:{name}\n")
        sys.exit(1)
