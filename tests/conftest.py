"""Shared test fixtures: a moto server on loopback and client factories for it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from fixtures.backend import MotoServer
from provisioning.aws.client import ClientFactory


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
