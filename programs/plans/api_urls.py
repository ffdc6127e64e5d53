"""Routes of the plans API, included at /api/v1/."""

urlpatterns: list = []
