from django.urls import path

from home import views

# No namespace: the home page is "home", as Django's LOGIN_REDIRECT_URL and every page's logo link name it.
urlpatterns = [
    path("", views.home, name="home"),
    path("digest/", views.digest_settings, name="digest"),
    # The full list of a worklist section, behind its "N in all" (one page for every section).
    path("work/<slug:key>/", views.work_list, name="work_list"),
    path("work/<slug:key>/export/", views.work_export, name="work_export"),
]
