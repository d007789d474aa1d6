"""URLs of the "Connect partner account" page (included under partner-account/)."""

from django.urls import path

from portal.core import views_partner

urlpatterns = [
    path("", views_partner.partner_account, name="partner_account"),
    path("connect", views_partner.connect, name="partner_account_connect"),
    path("callback", views_partner.callback, name="partner_account_callback"),
    path("disconnect", views_partner.disconnect, name="partner_account_disconnect"),
]
