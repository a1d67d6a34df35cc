"""The web workers' heap: start-up's objects frozen out of the collector's passes (shared/heap.py)."""

from __future__ import annotations

import gc

from shared import heap


def test_settle_freezes_what_exists_and_leaves_new_objects_collectable():
    gc.unfreeze()
    try:
        built = [object() for _ in range(1000)]
        frozen = heap.settle()
        assert frozen == gc.get_freeze_count() >= len(built)
        # What comes after is still collected: a cycle made now is found by the next pass.
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()  # the rest of the suite runs with an ordinary heap
