from django.urls import path

from portal.core import views
from portal.core.changes import bulk_views
from portal.core.changes import views as change_views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("sync/retention/", views.retention, name="retention"),
    path("operations/<uuid:operation_id>/", change_views.operation_status, name="operation"),
    path("bulk/", bulk_views.bulk_new, name="bulk_new"),
    path("bulk/<uuid:batch_id>/", bulk_views.batch, name="batch"),
    path("bulk/<uuid:batch_id>/send/", bulk_views.batch_send, name="batch_send"),
    path("bulk/<uuid:batch_id>/stop/", bulk_views.batch_stop, name="batch_stop"),
    path("bulk/<uuid:batch_id>/resume/", bulk_views.batch_resume, name="batch_resume"),
    path("bulk/<uuid:batch_id>/retry/", bulk_views.batch_retry, name="batch_retry"),
    path("bulk/<uuid:batch_id>/results/", bulk_views.batch_results, name="batch_results"),
]
