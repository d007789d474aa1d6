from django.urls import path

from portal.core import views
from portal.core.changes import views as change_views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("operations/<uuid:operation_id>/", change_views.operation_status, name="operation"),
]
