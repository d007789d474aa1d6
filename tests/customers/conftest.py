from tests.fixtures.portal_api import portal_api, portal_sandbox  # noqa: F401
