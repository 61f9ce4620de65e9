"""Shared test fixtures: a moto server on loopback, client factories for it, and the acceptance runs tests share."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.backend import MotoServer
from provisioning.aws.client import ClientFactory
from tests import schedule
from tests.integration import runs
from tests.integration.shared import SharedRun, shared_root


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server on 127.0.0.1 for the whole test session (tests use distinct run ids)."""
    with MotoServer() as url:
        yield url


@pytest.fixture
def factory(moto_url: str) -> ClientFactory:
    """A fresh offline client factory (own call counter) pointed at the session's moto server."""
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)


@pytest.fixture
def run_id() -> str:
    """A unique run id per test, so tests sharing the moto server never see each other's resources."""
    return f"t{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of the runs this session's tests share (one for all xdist workers)."""
    return shared_root(tmp_path_factory)


@pytest.fixture
def full_offline_run(shared_runs: Path) -> SharedRun:
    """The approved profile's whole offline run, recorded and audited, made once per session."""
    return runs.full_offline_run(shared_runs)


@pytest.fixture
def broken_route_run(shared_runs: Path, factory: ClientFactory, moto_url: str, run_id: str) -> SharedRun:
    """The network phase reused on a lab whose public default route was deleted, made once per session."""
    return runs.broken_route_run(shared_runs, factory, moto_url, run_id)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the files that run the acceptance suite for minutes first (tests/schedule.py); the rest keep order."""
    items.sort(key=schedule.rank)
