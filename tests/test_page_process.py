"""The page process never imports Keras or TensorFlow.

Streamlit calls ``keras.backend.clear_session()`` after every script run whenever Keras
is imported in its process, which empties TensorFlow's kernel cache (a 14 ms trace
then takes 340 ms) and slows every training in the app. So models, traces and
trainings live in the compute worker (``rnnlab.service``). The check runs in a fresh
interpreter, because this test process imports TensorFlow to train its tiny runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
from app_testing import open_page
run, other = sys.argv[1], sys.argv[2]
visits = [("home", {}), ("lesson", {}), ("train", {}), ("data", {}),
          ("explore", {"run": run, "headline": "Stocks rally as oil prices fall"}),
          ("compare", {"runs": f"{run},{other}", "headline": "Nadal wins in Paris"})]
drawn = {}
for page, query in visits:
    at = open_page(page, query, timeout=180)
    assert not at.exception, (page, [e.value for e in at.exception])
    drawn[page] = len(at.get("plotly_chart"))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("keras", "tensorflow"))
print(json.dumps({"loaded": loaded, "charts": drawn}))
"""


def test_rendering_every_page_leaves_keras_out_of_the_page_process(runs):
    gru, lstm = runs
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}  # app_testing
    done = subprocess.run([sys.executable, "-c", SCRIPT, gru.run_id, lstm.run_id], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["charts"]["explore"] > 0 and result["charts"]["compare"] > 0   # the worker did answer
    assert result["loaded"] == []
