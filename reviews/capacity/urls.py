"""The capacity pages, under /reviews/capacity/ in the ``reviews`` namespace (``reviews.urls``)."""

from django.urls import path

from reviews.capacity import views

urlpatterns = [
    path("capacity/", views.capacity_list_view, name="capacity-list"),
    path("capacity/new/", views.capacity_create, name="capacity-create"),
    path("capacity/budgets/", views.budgets_view, name="budgets"),
    path(
        "capacity/teams/<slug:slug>/<str:quarter>/",
        views.team_capacity_view,
        name="team-capacity",
    ),
    path("capacity/<int:pk>/", views.capacity_detail, name="capacity-detail"),
    path("capacity/<int:pk>/edit/", views.capacity_edit, name="capacity-edit"),
    path("capacity/<int:pk>/decide/", views.capacity_decide, name="capacity-decide"),
    path("capacity/<int:pk>/<slug:action>/", views.capacity_transition, name="capacity-transition"),
]
