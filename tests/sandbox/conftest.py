"""Sandbox tests talk HTTP to a sandbox subprocess; the ``rule`` marker ties a test to a named business rule."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(name): the test exercises the named sandbox business rule")


@pytest.fixture
def today(sandbox_server):
    """The shared sandbox's business date."""
    return sandbox_server.today()
