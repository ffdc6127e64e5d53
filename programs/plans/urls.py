from django.urls import path

from programs.plans import views

app_name = "plans"
urlpatterns = [
    path("<slug:slug>/plan/", views.plan_detail, name="detail"),
    path("<slug:slug>/plan/v/<int:number>/", views.plan_detail, name="version"),
    path("<slug:slug>/plan/start/", views.plan_start, name="start"),
    path("<slug:slug>/plan/edit/", views.plan_edit, name="edit"),
    path("<slug:slug>/plan/compare/", views.plan_diff, name="diff"),
    path("<slug:slug>/plan/acknowledge/", views.plan_acknowledge, name="acknowledge"),
    path("<slug:slug>/plan.md", views.plan_markdown, name="markdown"),
    path("<slug:slug>/plan.pdf", views.plan_pdf_view, name="pdf"),
]
