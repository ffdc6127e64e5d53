"""The import page, included at /import/ (namespace ``imports``)."""

from django.urls import path

from programs.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_page, name="page"),
    path("confirm/", views.import_confirm, name="confirm"),
    path(
        "templates/pulse-import.xlsx",
        views.template_download,
        {"kind": "all", "extension": "xlsx"},
        name="template-xlsx",
    ),
    path(
        "templates/pulse-<str:kind>.csv",
        views.template_download,
        {"extension": "csv"},
        name="template-csv",
    ),
]
