"""Two real processes training and saving into one run store at once lose and corrupt nothing."""
import json
import os
import subprocess
import sys

from rnnlab.runs import RunStore

TINY = ["--train-size", "400", "--units", "8", "--embed-dim", "8", "--vocab-size", "2000", "--text", "title",
        "--json"]


def test_two_processes_share_one_store(tmp_path):
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(tmp_path)}
    script = ("import sys, subprocess\n"
              "for args in sys.argv[1:]:\n"
              "    subprocess.run([sys.executable, '-m', 'rnnlab', 'train', *args.split()], check=True)\n")
    # Each process trains its own config, then both train (and save) the same config at about the same time.
    jobs = [[f"--seed 1 {' '.join(TINY)}", f"--seed 3 {' '.join(TINY)}"],
            [f"--seed 2 {' '.join(TINY)}", f"--seed 3 {' '.join(TINY)}"]]
    procs = [subprocess.Popen([sys.executable, "-c", script, *args], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for args in jobs]
    outputs = [p.communicate(timeout=400) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-2000:]
    run_ids = {json.loads(chunk)["run_id"] for out, _ in outputs for chunk in _json_objects(out)}
    assert len(run_ids) == 3
    store = RunStore(tmp_path)
    listed = store.list()
    assert sorted(r.run_id for r in listed) == sorted(run_ids)
    assert all(r.ok for r in listed)
    for run_id in run_ids:
        run = store.load(run_id)
        assert run.config.run_id() == run_id
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def _json_objects(text):
    """Split concatenated pretty-printed JSON objects."""
    decoder, pos, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        out.append(json.dumps(obj))
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def test_concurrent_installs_of_one_run_id_leave_one_whole_run(tmp_path, make_run):
    """Many threads saving the same id: always exactly one whole run, never a mix."""
    import threading
    run = make_run()
    store = RunStore(tmp_path)
    errors = []

    def save(i):
        try:
            store.save(run.run_id, run.model, run.config, run.history, {**run.metrics, "writer": i})
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [r.run_id for r in store.list()] == [run.run_id]
    assert store.load(run.run_id).metrics["writer"] in range(6)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
