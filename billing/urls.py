from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.invoices, name="invoices"),
    path("fetch/", views.fetch, name="fetch"),
    path("<year:year>/<month:month>/", views.details, name="details"),
    path("<year:year>/<month:month>/export/", views.details_export, name="details_export"),
    path("<year:year>/<month:month>/statement/", views.statement_export, name="statement_export"),
    path("<year:year>/<month:month>/journal/", views.accounting_export, name="accounting_export"),
    path("<year:year>/<month:month>/estimate/", views.estimate_invoice, name="estimate_invoice"),
    path("<year:year>/<month:month>/estimate/export/", views.estimate_export, name="estimate_export"),
    path("<year:year>/<month:month>/findings/", views.findings, name="findings"),
    path("<year:year>/<month:month>/findings/export/", views.findings_export, name="findings_export"),
    path("<year:year>/<month:month>/check/", views.check_month, name="check"),
    path("<year:year>/<month:month>/close/", views.close_month, name="close"),
    path("<year:year>/<month:month>/reopen/", views.reopen_month, name="reopen"),
    path("<year:year>/<month:month>/costs/", views.costs, name="costs"),
    path("<year:year>/<month:month>/costs/accept/", views.costs_accept, name="costs_accept"),
    path("findings/<int:pk>/explain/", views.explain, name="explain"),
    path("prices/", views.prices, name="prices"),
    path("prices/add/", views.price_add, name="price_add"),
    path("prices/export/", views.prices_export, name="prices_export"),
    path("prices/import/", views.prices_import, name="prices_import"),
    path("prices/customers/", views.price_customers, name="price_customers"),
]
