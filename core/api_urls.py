"""Routes of the API views in core, included at /api/v1/me/."""

from django.urls import path

from core.api_views import MeView

urlpatterns = [path("", MeView.as_view(), name="me")]
