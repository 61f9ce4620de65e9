"""Bind features/04_cozystack.feature."""

from pytest_bdd import scenarios

scenarios("04_cozystack.feature")
