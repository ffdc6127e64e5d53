"""The API: v1 of the programs and metrics domains, its OpenAPI schema and Swagger UI.

The schema and docs need sign-in.

The docs page is the split Swagger view: its start-up script is served from our own URL
instead of inline, so the page runs under the site's strict Content-Security-Policy, and
the Swagger assets come from drf_spectacular_sidecar through our static files (no CDN).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

urlpatterns = [
    path("v1/", include("programs.api.urls")),
    path("v1/", include("metrics.api.urls")),
    path("v1/", include("reviews.api_urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", permission_classes=[IsAuthenticated]
        ),
        name="api-docs",
    ),
]
urlpatterns.append(path("v1/me/", include("core.api_urls")))
