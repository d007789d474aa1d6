from django.urls import path

from options import views, views_changes

app_name = "options"

urlpatterns = [
    path("", views.option_list, name="list"),
    path("export.csv", views.option_export, name="export"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("customers/<int:domain_id>/usage/", views.usage, name="usage"),
    path("customers/<int:domain_id>/add/", views_changes.option_add, name="add"),
    path("customers/<int:domain_id>/orders/new/", views_changes.order_add, name="order_add"),
    path("customers/<int:domain_id>/orders/<str:option_product_id>/", views_changes.order_edit, name="order"),
    path(
        "customers/<int:domain_id>/orders/<str:option_product_id>/delete/",
        views_changes.order_delete,
        name="order_delete",
    ),
    path(
        "customers/<int:domain_id>/<str:option_product_id>/upgrade/",
        views_changes.option_upgrade,
        name="upgrade",
    ),
    path(
        "customers/<int:domain_id>/<str:option_product_id>/quantity/",
        views_changes.option_add_quantity,
        name="add_quantity",
    ),
    path(
        "customers/<int:domain_id>/<str:option_product_id>/cancel/",
        views_changes.option_cancel,
        name="cancel",
    ),
    path(
        "customers/<int:domain_id>/<str:option_product_id>/renewal/",
        views_changes.option_renewal,
        name="renewal",
    ),
]
