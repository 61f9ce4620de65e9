"""Checks: pure functions from (plan, observed state) to violations."""
