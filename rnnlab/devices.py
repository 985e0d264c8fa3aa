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
