"""RNN Lab: train recurrent networks on AG News headlines and watch them read.

All logic lives here (no Streamlit): config, data, models, training, run store,
tracing and the command line (``python -m rnnlab``).
"""
import os

# TensorFlow's C++ log lines (oneDNN, CPU feature notes) would drown the CLI's output; errors
# that matter still reach Python as exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
