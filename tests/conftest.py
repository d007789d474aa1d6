"""Shared fixtures. Plugins in tests/fixtures/ hold the bigger ones (sandbox process, personas, browser)."""

pytest_plugins = [
    "tests.fixtures.personas",
    "tests.fixtures.services",
    "tests.fixtures.browser",
    "tests.fixtures.sandbox",
    "tests.fixtures.portal_api",
]
