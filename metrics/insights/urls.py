"""/insights/: the overview, a page per registered section, and each block's CSV."""

from django.urls import path

from metrics.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<slug:section>/", views.section_page, name="section"),
    path("<slug:section>/<slug:block>.csv", views.block_csv, name="csv"),
]
