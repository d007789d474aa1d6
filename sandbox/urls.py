"""Routes: /v1.0/... from each domain module's ``urlpatterns`` and the bot message operations, the Incoming
Webhook's /message/<token>, /oauth2/v2.0/..., the identity
provider's /oidc/... (sandbox/api/oidc.py), /_sandbox/..."""

from django.urls import include, path

from sandbox import registry
from sandbox.api import admin, oauth, oidc

api_patterns = []
for module in registry.load_domain_modules():
    api_patterns += getattr(module, "urlpatterns", [])

messaging = registry.load_messaging()

urlpatterns = [
    path("v1.0/", include(api_patterns)),
    path("v1.0/", include(messaging.bot_patterns)),
    *messaging.webhook_patterns,
    path("oauth2/v2.0/token", oauth.token),
    path("oauth2/v2.0/authorize", oauth.authorize),
    *oidc.urlpatterns,
    *admin.urlpatterns,
    *messaging.admin_patterns,
]

handler404 = "sandbox.api.admin.not_found"
handler500 = "sandbox.api.admin.server_error"
