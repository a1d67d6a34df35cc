"""Fixtures for the domain tests."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def world(ctx) -> factories.World:
    """The typical set-up: an e-service with handlers (plain, restricted, grouped), a citizen."""
    return factories.world()
