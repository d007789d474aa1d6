from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("<int:domain_id>/", views.customer_detail, name="detail"),
    path("<int:domain_id>/refresh/", views.customer_refresh, name="refresh"),
]
