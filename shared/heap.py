"""The web workers' Python heap: keep the garbage collector's full passes short.

A worker holds some 280,000 long-lived objects once the app is built (Flask-AppBuilder's
views and menus, SQLAlchemy's mappers, compiled templates, the translations). CPython's
full collection walks every one of them: about 200 ms on the 2-vCPU VM, during which all of
the worker's threads wait. Under load that was the slowest 5 % of the back office's pages
(benchmarks/load.py: several overview pages finishing together 300–600 ms late). Frozen
objects are left out of every collection (``gc.freeze``, CPython 3.7+), so a full pass
after it takes a few milliseconds. What the app builds is never garbage: nothing is lost.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect what start-up left behind, then freeze the rest; returns how many objects were frozen.

    Call it once the app is built, in every worker process (the WSGI modules and
    ``etjanst serve`` do).
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
