"""Bind features/03_talos_node.feature."""

from pytest_bdd import scenarios

scenarios("03_talos_node.feature")
