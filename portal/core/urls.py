from django.urls import path

from portal.core import views, views_signin, views_users
from portal.core.changes import views as change_views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/sign-ins/", views_signin.signins, name="signins"),
    path("activity/sign-ins/unlock/", views_signin.signin_unlock, name="signin_unlock"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("users/", views_users.users, name="users"),
    path("users/add/", views_users.user_add, name="user_add"),
    path("users/<int:user_id>/", views_users.user_detail, name="user"),
    path("users/<int:user_id>/deactivate/", views_users.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", views_users.user_reactivate, name="user_reactivate"),
    path("users/<int:user_id>/password/", views_users.user_password, name="user_password"),
    path("operations/<uuid:operation_id>/", change_views.operation_status, name="operation"),
]
