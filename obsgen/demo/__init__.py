"""A small model-serving API instrumented with :mod:`obsgen.instrument` (``python -m obsgen.demo``)."""
