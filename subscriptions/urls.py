from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.list, name="list"),
    path("scheduled/", views.scheduled, name="scheduled"),
]
