"""Bind features/02_bastion.feature."""

from pytest_bdd import scenarios

scenarios("02_bastion.feature")
