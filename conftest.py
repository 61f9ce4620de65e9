"""Wiring only: plugins, options and markers live in fixtures/ and pytest.ini."""

pytest_plugins = [
    "fixtures.options",
    "fixtures.backend",
    "fixtures.lab",
    "fixtures.gating",
    "fixtures.reporting",
    "steps.network",
]
