"""The playbook pages, under /playbooks/ in the ``playbooks`` namespace."""

from django.urls import path

from programs.playbooks import views

app_name = "playbooks"
urlpatterns = [
    path("", views.playbook_list, name="list"),
    path("new/", views.playbook_create, name="create"),
    path("<slug:slug>/", views.playbook_detail, name="detail"),
    path("<slug:slug>/v/<int:number>/", views.playbook_version, name="version"),
    path("<slug:slug>/diff/", views.playbook_diff, name="diff"),
    path("<slug:slug>/publish/", views.playbook_publish, name="publish"),
    path("<slug:slug>/edit/", views.playbook_edit, name="edit"),
    path("<slug:slug>/reviewed/", views.playbook_mark_reviewed, name="reviewed"),
]
