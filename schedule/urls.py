from django.urls import path

from schedule import views

app_name = "schedule"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("export.csv", views.export_csv, name="export"),
    path("export.ics", views.export_ical, name="ical"),
    path("feed/", views.feed_page, name="feed"),
    path("feed/<str:token>.ics", views.feed_ics, name="feed_ics"),
]
