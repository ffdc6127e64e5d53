from django.urls import path

from reviews import capacity_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.review_queue_view, name="queue"),
    path("launches/", views.launch_list_view, name="launch-list"),
    path("launches/new/<slug:slug>/", views.launch_create, name="launch-create"),
    path("launches/<int:pk>/", views.launch_detail, name="launch-detail"),
    path("launches/<int:pk>/edit/", views.launch_edit, name="launch-edit"),
    path("launches/<int:pk>/items/<int:item_pk>/", views.item_answer, name="item-answer"),
    path("launches/<int:pk>/sign-off/", views.sign_off, name="sign-off"),
    path("launches/<int:pk>/comments/", views.comment_add, name="comment-add"),
    path("launches/<int:pk>/<slug:action>/", views.launch_transition, name="launch-transition"),
    path("capacity/", capacity_views.capacity_list_view, name="capacity-list"),
    path("capacity/new/", capacity_views.capacity_create, name="capacity-create"),
    path("capacity/budgets/", capacity_views.budgets_view, name="budgets"),
    path(
        "capacity/teams/<slug:slug>/<str:quarter>/",
        capacity_views.team_capacity_view,
        name="team-capacity",
    ),
    path("capacity/<int:pk>/", capacity_views.capacity_detail, name="capacity-detail"),
    path("capacity/<int:pk>/edit/", capacity_views.capacity_edit, name="capacity-edit"),
    path("capacity/<int:pk>/decide/", capacity_views.capacity_decide, name="capacity-decide"),
    path(
        "capacity/<int:pk>/<slug:action>/",
        capacity_views.capacity_transition,
        name="capacity-transition",
    ),
]
