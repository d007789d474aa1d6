"""Shared fixtures. Plugins in tests/fixtures/ hold the bigger ones (sandbox process, personas, browser)."""

import os

pytest_plugins = ["tests.fixtures.personas"]

# In CI a test that would be skipped for a missing service fails instead.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
