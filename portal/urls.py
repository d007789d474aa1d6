from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from portal.core import views as core_views
from portal.core.contrib import contributions

admin.site.site_header = _("Partner Portal administration")
admin.site.site_title = _("Partner Portal")

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # For Prometheus, not people: off unless METRICS_ENABLED, then only with METRICS_TOKEN (portal/core/metrics.py).
    path("metrics", core_views.metrics_page, name="metrics"),
    # Django's language switch, remembering a signed-in user's choice (portal.core.views.set_language).
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("portal.core.urls")),
    # The portal's own JSON API (portal/core/api/): personal tokens, every app's contributed areas, its docs.
    path("api/v1/", include("portal.core.api.urls")),
    # The Scheduled changes page lived under /subscriptions/scheduled/ before it became its own app.
    path("subscriptions/scheduled/", RedirectView.as_view(url="/scheduled/", query_string=True)),
    path(
        "subscriptions/scheduled/<path:rest>",
        RedirectView.as_view(url="/scheduled/%(rest)s", query_string=True),
    ),
    # Each app's pages, where the app mounts them (contribute(..., urls=[(prefix, urlconf)])), in app order.
    *(path(prefix, include(urlconf)) for prefix, urlconf in contributions("urls")),
    # Django's own sign-in pages, after the apps' so that an app may take one over (accounts: the log-in page).
    path("accounts/", include("django.contrib.auth.urls")),
]

handler400 = "portal.core.views.error_400"
handler403 = "portal.core.views.error_403"
handler404 = "portal.core.views.error_404"
handler500 = "portal.core.views.error_500"
