"""Fixtures for the user-data renderer tests: the two bundled profiles."""

from __future__ import annotations

import pytest

from provisioning.profiles import load
from provisioning.topology import Topology


@pytest.fixture(scope="session")
def approved() -> Topology:
    return load("approved")


@pytest.fixture(scope="session")
def homelab() -> Topology:
    return load("homelab-replica")
