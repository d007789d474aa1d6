"""The "Connect partner account" page and its OAuth round trip (mounted under partner-account/; the callback's
address is the redirect URI registered with LINE WORKS)."""

from django.urls import path

from partner_account import views

app_name = "partner_account"

urlpatterns = [
    path("", views.partner_account, name="account"),
    path("connect", views.connect, name="connect"),
    path("callback", views.callback, name="callback"),
    path("disconnect", views.disconnect, name="disconnect"),
]
