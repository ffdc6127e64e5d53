"""The import endpoint, included at /api/v1/."""

from django.urls import path

from programs.imports.api import ImportView

urlpatterns = [path("imports/", ImportView.as_view(), name="api-imports")]
