from django.urls import path

from customers import views, views_changes

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("add/", views_changes.customer_add, name="add"),
    path("add/details/", views_changes.customer_add_details, name="add_details"),
    path("transfer/", views_changes.customer_transfer, name="transfer"),
    path("<int:domain_id>/", views.customer_detail, name="detail"),
    path("<int:domain_id>/refresh/", views.customer_refresh, name="refresh"),
    path("<int:domain_id>/fresh/", views.customer_fresh, name="fresh"),
    path("<int:domain_id>/owner/", views_changes.customer_owner, name="owner"),
    path("<int:domain_id>/edit/", views_changes.customer_edit, name="edit"),
    path("<int:domain_id>/usage/", views_changes.customer_usage, name="usage"),
    path("<int:domain_id>/usage/renewal/", views_changes.customer_renewal, name="renewal"),
    path(
        "<int:domain_id>/usage/renewal/delete/", views_changes.customer_renewal_delete, name="renewal_delete"
    ),
    path("<int:domain_id>/delete/", views_changes.customer_delete, name="delete"),
    path("<int:domain_id>/domain/", views_changes.customer_domain, name="domain"),
    path("<int:domain_id>/domain/upgrade/", views_changes.customer_domain_upgrade, name="domain_upgrade"),
    path(
        "<int:domain_id>/domain/upgrade/delete/",
        views_changes.customer_domain_upgrade_delete,
        name="domain_upgrade_delete",
    ),
    path("<int:domain_id>/domain/change/", views_changes.customer_domain_change, name="domain_change"),
    path("<int:domain_id>/activate/", views_changes.customer_activate, name="activate"),
]
