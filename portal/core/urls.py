from django.urls import path

from portal.core import views
from portal.core.api import views as api_views
from portal.core.changes import approval_views, bulk_views
from portal.core.changes import views as change_views
from portal.core.events import views as event_views
from portal.core.notices import views as notice_views

app_name = "core"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("sync/", views.sync, name="sync"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("sync/retention/", views.retention, name="retention"),
    path("operations/<uuid:operation_id>/", change_views.operation_status, name="operation"),
    path("operations/<uuid:operation_id>/approve/", change_views.operation_approve, name="operation_approve"),
    path("operations/<uuid:operation_id>/reject/", change_views.operation_reject, name="operation_reject"),
    path("bulk/", bulk_views.bulk_new, name="bulk_new"),
    path("bulk/<uuid:batch_id>/", bulk_views.batch, name="batch"),
    path("bulk/<uuid:batch_id>/send/", bulk_views.batch_send, name="batch_send"),
    path("bulk/<uuid:batch_id>/stop/", bulk_views.batch_stop, name="batch_stop"),
    path("bulk/<uuid:batch_id>/resume/", bulk_views.batch_resume, name="batch_resume"),
    path("bulk/<uuid:batch_id>/retry/", bulk_views.batch_retry, name="batch_retry"),
    path("bulk/<uuid:batch_id>/results/", bulk_views.batch_results, name="batch_results"),
    path("bulk/<uuid:batch_id>/approve/", bulk_views.batch_approve, name="batch_approve"),
    path("bulk/<uuid:batch_id>/reject/", bulk_views.batch_reject, name="batch_reject"),
    path("approvals/", approval_views.approval_rules, name="approvals"),
    path("api-tokens/", api_views.api_tokens, name="api_tokens"),
    path("api-tokens/all/", api_views.api_tokens_all, name="api_tokens_all"),
    path("api-tokens/<int:token_id>/revoke/", api_views.api_token_revoke, name="api_token_revoke"),
    path("notices/", notice_views.notices_page, name="notices"),
    path("notices/test/", notice_views.notice_test, name="notice_test"),
    path("notices/rooms/", notice_views.rooms_page, name="notice_rooms"),
    path("notices/rooms/<int:room_id>/", notice_views.room_page, name="notice_room"),
    path("notices/rooms/<int:room_id>/remove/", notice_views.room_remove, name="notice_room_remove"),
    path("events/", event_views.endpoints_page, name="event_endpoints"),
    path("events/<int:endpoint_id>/", event_views.endpoint_page, name="event_endpoint"),
    path("events/<int:endpoint_id>/secret/", event_views.endpoint_secret, name="event_endpoint_secret"),
    path("events/<int:endpoint_id>/test/", event_views.endpoint_test, name="event_endpoint_test"),
    path("events/<int:endpoint_id>/remove/", event_views.endpoint_remove, name="event_endpoint_remove"),
    path("events/deliveries/<int:delivery_id>/replay/", event_views.delivery_replay, name="event_replay"),
]
