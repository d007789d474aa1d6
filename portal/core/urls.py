from django.urls import path

from portal.core import views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
]
