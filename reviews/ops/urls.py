"""The operational-review pages, included at /ops-reviews/ (namespace ``ops``)."""

from django.urls import path

from reviews.ops import views as ops_views

app_name = "ops"
urlpatterns = [
    path("", ops_views.ops_list, name="list"),
    path("current/", ops_views.ops_current, name="current"),
    path("my-items/", ops_views.my_items, name="my-items"),
    path(
        "my-items/<int:item_pk>/<slug:action>/",
        ops_views.my_item_transition,
        name="my-item-transition",
    ),
    path("new/", ops_views.ops_create, name="create"),
    path("<int:pk>/", ops_views.ops_detail, name="detail"),
    path("<int:pk>/edit/", ops_views.ops_edit, name="edit"),
    path("<int:pk>/print/", ops_views.ops_print, name="print"),
    path("<int:pk>/action-items/", ops_views.action_item_add, name="item-add"),
    path(
        "<int:pk>/action-items/<int:item_pk>/<slug:action>/",
        ops_views.action_item_transition,
        name="item-transition",
    ),
    path("<int:pk>/decisions/", ops_views.decision_add, name="decision-add"),
    path("<int:pk>/<slug:action>/", ops_views.ops_transition, name="transition"),
]
