"""Routes of the playbooks API, included at /api/v1/."""

urlpatterns: list = []
