"""What a trained run computes beyond its prediction, in the compute worker (Keras).

:mod:`.trace` is the core (:class:`~rnnlab.analysis.trace.Tracer`: a run's weights and
compiled functions, one headline's trace); :mod:`.projection`, :mod:`.neurons`,
:mod:`.padding`, :mod:`.memory` and :mod:`.mistakes` each take a Tracer and return the plain dataclasses of
:mod:`rnnlab.tracedata`, :mod:`.memorydata` and :mod:`.mistakes` (whose imports hold no
TensorFlow), which pages unpickle without TensorFlow.
"""
