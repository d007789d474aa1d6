"""The API's URLs, mounted at /api/v1/ (portal/urls.py): its documentation page and OpenAPI document, every
area's endpoints (`site.endpoint_patterns`), and a 404 in words for any other path under it."""

from django.urls import path, re_path

from portal.core.api import site, views

app_name = "api"

urlpatterns = [
    path("docs", views.api_docs, name="docs"),
    path("openapi.json", site.recorded(views.api_schema, route="/openapi.json"), name="schema"),
    *site.endpoint_patterns(),
    re_path(r"^.*$", views.api_unknown),
]
