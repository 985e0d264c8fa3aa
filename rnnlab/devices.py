"""Which device trains: GPUs get memory growth before anything touches them."""
from __future__ import annotations

import functools

import tensorflow as tf


@functools.lru_cache(maxsize=1)
def configure_devices() -> str:
    """Enable memory growth on every GPU (as the lesson does) and name the device used.

    Must run before the first TensorFlow op touches a GPU; later calls are free.
    """
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised by an earlier op: growth can't change now
            pass
    return describe_device(gpus)


def describe_device(gpus=None) -> str:
    gpus = tf.config.list_physical_devices("GPU") if gpus is None else gpus
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return f"{len(names)} x {names[0]}" if len(names) > 1 else f"GPU: {names[0]}"


def training_strategy() -> tf.distribute.Strategy:
    """MirroredStrategy over every GPU when there are several, else the default strategy.

    The same training code then runs on one CPU, one GPU or several GPUs.
    """
    configure_devices()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def supports_mixed_precision() -> bool:
    """True when every GPU can run float16 math fast (compute capability 7.0 or newer)."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return False
    for gpu in gpus:
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
        if tuple(capability) < (7, 0):
            return False
    return True
