"""webaccel's benchmarks: one module per capability (``bench/json.py``, ...), run by ``bench/run.py``.

This is a package so that ``bench/json.py`` is imported as ``bench.json`` and never shadows the
standard library's ``json`` (``run.py`` takes ``bench/`` off ``sys.path`` before importing).
"""
