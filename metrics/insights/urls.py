"""/insights/: the overview, a page per registered section, and each block's CSV."""

from django.urls import path

from metrics.analytics import views as export_views
from metrics.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    # Before the sections: "export" is not one.
    path("export/", export_views.export_page, name="export"),
    path("export/<int:pk>/progress/", export_views.export_progress, name="export-progress"),
    path("export/<int:pk>/download/", export_views.export_download, name="export-download"),
    path("<slug:section>/", views.section_page, name="section"),
    path("<slug:section>/<slug:block>.csv", views.block_csv, name="csv"),
]
