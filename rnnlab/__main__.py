import os
import sys


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow and find its devices with file descriptor 2 muted.

    TensorFlow's C++ start-up writes half a dozen log lines (oneDNN, CUDA probing)
    straight to fd 2, past Python and past TF_CPP_MIN_LOG_LEVEL; they would bury the
    CLI's own one-line messages. Python exceptions still surface: they are raised
    after stderr is restored.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf
            tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


if sys.argv[1:2] != ["serve"]:      # serve only starts processes: it never needs TensorFlow
    _import_tensorflow_quietly()

from .cli import main  # noqa: E402

sys.exit(main())
