from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """The one search box of every page and its results page: its own room, fed by the finders every app
    contributes (`portal.core.finders`; no models)."""

    name = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from portal.core.contrib import contribute

        contribute(self.label, urls=[("search/", "search.urls")])
