"""The launch-review pages, under /reviews/ in the ``reviews`` namespace (``reviews.urls``)."""

from django.urls import path

from reviews.launch import views

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
]
