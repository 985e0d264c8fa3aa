"""The multi-replica code path, run on two logical CPU devices (no GPU needed).

Logical devices must be configured before TensorFlow starts, so the check runs in a
fresh process.
"""
import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from rnnlab.config import RunConfig
    from rnnlab.models import build_model, token_model
    from rnnlab.training import _train_step_fn, train

    config = RunConfig(cell="lstm", units=8, embed_dim=8, vocab_size=100, bidirectional=True)
    vocab = [str(i) for i in range(40)]
    x = np.random.default_rng(0).integers(1, 42, size=(8, 6))
    x[4:, 4:] = 0                      # right padding in half the rows
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3], dtype=np.int32)

    def one_step(strategy):
        with strategy.scope():
            tokens = token_model(build_model(config, vocab))
            optimizer = keras.optimizers.SGD(0.5)
            optimizer.build(tokens.trainable_variables)
        _train_step_fn(tokens, optimizer, strategy)(tf.constant(x), tf.constant(y))
        return [v.numpy() for v in tokens.trainable_variables]

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    single = one_step(tf.distribute.get_strategy())
    double = one_step(mirrored)
    max_diff = max(float(np.abs(a - b).max()) for a, b in zip(single, double))

    result = train(RunConfig(train_size=1000, units=8, batch_size=16, text="title"), strategy=mirrored)
    print(json.dumps({"max_diff": max_diff, "replicas": result.metrics["replicas"],
                      "accuracy": result.metrics["test_accuracy"],
                      "samples_seen": result.metrics["samples_seen"]}))
''')


def test_mirrored_strategy_matches_one_replica_and_trains():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # Splitting a batch over two replicas gives the same update as one replica on the whole batch.
    assert out["max_diff"] < 1e-5, out
    assert out["replicas"] == 2
    assert out["samples_seen"] == 1000
    assert out["accuracy"] > 0.3, out
