"""Bind features/01_network.feature."""

from pytest_bdd import scenarios

scenarios("01_network.feature")
