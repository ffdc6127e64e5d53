from django.urls import path

from programs import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list_view, name="list"),
    path("new/", views.program_create, name="create"),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/edit/", views.program_edit, name="edit"),
    path("<slug:slug>/updates/new/", views.status_update_create, name="update-create"),
    path("<slug:slug>/milestones/new/", views.milestone_create, name="milestone-create"),
    path("<slug:slug>/milestones/<int:pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("<slug:slug>/milestones/<int:pk>/move/", views.milestone_move, name="milestone-move"),
    path(
        "<slug:slug>/milestones/<int:pk>/complete/",
        views.milestone_complete,
        name="milestone-complete",
    ),
    path("<slug:slug>/risks/new/", views.risk_create, name="risk-create"),
    path("<slug:slug>/risks/<int:pk>/edit/", views.risk_edit, name="risk-edit"),
    path("<slug:slug>/risks/<int:pk>/close/", views.risk_close, name="risk-close"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("<slug:slug>/decisions/new/", views.decision_create, name="decision-create"),
    path("<slug:slug>/decisions/<int:pk>/edit/", views.decision_edit, name="decision-edit"),
]
