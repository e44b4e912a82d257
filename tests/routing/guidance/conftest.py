"""Fixtures for guidance tests on the real Kaiserslautern extract."""

from __future__ import annotations

import pytest

from routing.planner import Planner


@pytest.fixture(scope="session")
def guidance_planner(city_graph, city_index) -> Planner:
    return Planner(city_graph, city_index)
