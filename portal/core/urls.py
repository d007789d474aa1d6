from django.urls import path

from portal.core import views, views_signin
from portal.core.changes import views as change_views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/sign-ins/", views_signin.signins, name="signins"),
    path("activity/sign-ins/unlock/", views_signin.signin_unlock, name="signin_unlock"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("operations/<uuid:operation_id>/", change_views.operation_status, name="operation"),
]
