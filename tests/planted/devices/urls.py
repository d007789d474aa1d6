from django.urls import path

from tests.planted.devices import views

app_name = "devices"
urlpatterns = [
    path("", views.device_list, name="list"),
    path("<int:device_id>/restart/", views.device_restart, name="restart"),
]
