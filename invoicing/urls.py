from django.urls import path

from invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("", views.start, name="start"),
    path("<int:year>/<int:month>/", views.drafts, name="drafts"),
    path("<int:year>/<int:month>/issue/", views.issue, name="issue"),
    path("<int:year>/<int:month>/<int:domain_id>/", views.draft, name="draft"),
    path("details/", views.issuer, name="issuer"),
    path("issued/<int:number>.pdf", views.pdf, name="pdf"),
    path("customers/<int:domain_id>/", views.customer, name="customer"),
]
