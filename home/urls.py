from django.urls import path

from home import views

# No namespace: the home page is "home", as Django's LOGIN_REDIRECT_URL and every page's logo link name it.
urlpatterns = [
    path("", views.home, name="home"),
    path("digest/", views.digest_settings, name="digest"),
]
