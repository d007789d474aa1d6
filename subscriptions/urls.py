from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("export.csv", views.subscription_export, name="export"),
    path("scheduled/", views.scheduled, name="scheduled"),
]
