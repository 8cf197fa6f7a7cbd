"""The suite's shared fixtures are plugins in ``tests/support/``: registered here, imported by no test."""

pytest_plugins = ["tests.support.consortium", "tests.support.client", "tests.support.permissioning", "tests.support.cli"]
