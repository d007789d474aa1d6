from django.urls import path

from subscriptions import views, views_changes

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("export.csv", views.subscription_export, name="export"),
    # One subscription: read-only for every role that sees subscriptions; its forms for those who change them.
    path("<int:subscription_id>/", views_changes.subscription_detail, name="detail"),
    path("<int:subscription_id>/reservation/", views_changes.reservation_edit, name="reservation"),
    path(
        "<int:subscription_id>/reservation/delete/",
        views_changes.reservation_delete,
        name="reservation_delete",
    ),
    path("<int:subscription_id>/renewal/", views_changes.renewal_edit, name="renewal"),
    path("<int:subscription_id>/paid/", views_changes.subscription_convert, name="convert"),
    path("<int:subscription_id>/upgrade/", views_changes.subscription_upgrade, name="upgrade"),
    path("<int:subscription_id>/licences/", views_changes.subscription_add_licences, name="add_licences"),
    path("<int:subscription_id>/cancel/", views_changes.subscription_cancel, name="cancel"),
    # Per customer: a new subscription now, or one scheduled (pre-orders).
    path("customers/<int:domain_id>/add/", views_changes.subscription_add, name="add"),
    path("customers/<int:domain_id>/pre-orders/new/", views_changes.pre_order_add, name="pre_order_add"),
    path(
        "customers/<int:domain_id>/pre-orders/<int:pre_order_id>/",
        views_changes.pre_order_edit,
        name="pre_order",
    ),
    path(
        "customers/<int:domain_id>/pre-orders/<int:pre_order_id>/delete/",
        views_changes.pre_order_delete,
        name="pre_order_delete",
    ),
]
