from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("add/", views.customer_add, name="add"),
    path("add/details/", views.customer_add_details, name="add_details"),
    path("transfer/", views.customer_transfer, name="transfer"),
    path("<int:domain_id>/", views.customer_detail, name="detail"),
    path("<int:domain_id>/refresh/", views.customer_refresh, name="refresh"),
    path("<int:domain_id>/edit/", views.customer_edit, name="edit"),
    path("<int:domain_id>/usage/", views.customer_usage, name="usage"),
    path("<int:domain_id>/usage/renewal/", views.customer_renewal, name="renewal"),
    path("<int:domain_id>/usage/renewal/delete/", views.customer_renewal_delete, name="renewal_delete"),
    path("<int:domain_id>/delete/", views.customer_delete, name="delete"),
    path("<int:domain_id>/domain/", views.customer_domain, name="domain"),
    path("<int:domain_id>/domain/upgrade/", views.customer_domain_upgrade, name="domain_upgrade"),
    path(
        "<int:domain_id>/domain/upgrade/delete/",
        views.customer_domain_upgrade_delete,
        name="domain_upgrade_delete",
    ),
    path("<int:domain_id>/domain/change/", views.customer_domain_change, name="domain_change"),
    path("<int:domain_id>/activate/", views.customer_activate, name="activate"),
    path("operations/<uuid:operation_id>/", views.operation_status, name="operation"),
]
