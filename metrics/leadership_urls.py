"""What leadership reads: the portfolio dashboard and the weekly reports."""

from django.urls import path

from metrics import views

app_name = "leadership"
urlpatterns = [
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/programs.csv", views.dashboard_csv, name="dashboard-csv"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<slug:portfolio>/generate/", views.report_generate, name="report-generate"),
    path("reports/<slug:portfolio>/subscribe/", views.report_subscribe, name="report-subscribe"),
    path("reports/<slug:portfolio>/<str:week>/", views.report_detail, name="report-detail"),
    path("reports/<slug:portfolio>/<str:week>.md", views.report_markdown, name="report-markdown"),
]
