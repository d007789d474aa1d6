from django.urls import path

from saved import views

app_name = "saved"

urlpatterns = [
    path("", views.view_list, name="list"),
    path("save/", views.view_save, name="save"),
    path("<int:view_id>/", views.view_open, name="open"),
    path("<int:view_id>/delete/", views.view_delete, name="delete"),
    path("<int:view_id>/follow/", views.view_follow, name="follow"),
]
