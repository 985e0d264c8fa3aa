"""What a trained run computes beyond its prediction, in the compute worker (Keras).

:mod:`.trace` is the core (:class:`~rnnlab.analysis.trace.Tracer`: a run's weights and
compiled functions, one headline's trace); :mod:`.projection`, :mod:`.neurons`,
:mod:`.padding`, :mod:`.memory`, :mod:`.replay` and :mod:`.mistakes` each take a Tracer and
return plain dataclasses (:mod:`rnnlab.tracedata`, :mod:`.memorydata`, :mod:`rnnlab.snapshots`,
:mod:`.mistakes`, whose imports hold no TensorFlow), which pages unpickle without TensorFlow.
"""
