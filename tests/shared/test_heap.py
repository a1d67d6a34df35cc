"""The web workers' heap: start-up's objects frozen out of the collector's passes (shared/heap.py)."""

from __future__ import annotations

import gc

from shared import heap


def test_settle_freezes_what_exists_and_leaves_new_objects_collectable():
    gc.unfreeze()
    try:
        built = [[n] for n in range(1000)]  # containers: objects the collector tracks
        frozen = heap.settle()
        # Other threads (the suite's live servers) may allocate meanwhile: at least these.
        assert frozen >= len(built) and gc.get_freeze_count() >= len(built)
        # Frozen objects are in no generation: a full pass no longer walks them.
        in_generations = {id(obj) for obj in gc.get_objects()}
        assert not any(id(item) in in_generations for item in built)
        # What comes after is still collected: a cycle made now is found by the next pass.
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()  # the rest of the suite runs with an ordinary heap
