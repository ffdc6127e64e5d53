"""The API: v1 of the programs and metrics domains, its OpenAPI schema and Swagger UI.

The schema and docs need sign-in.

The docs page is the split Swagger view: its start-up script is served from our own URL
instead of inline, so the page runs under the site's strict Content-Security-Policy, and
the Swagger assets come from drf_spectacular_sidecar through our static files (no CDN).
It is drawn inside the product's page (top bar, a way back) rather than as a bare Swagger page.
"""

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI in Pulse's page, with the navigation marking "API docs" as the current page."""

    template_name = "drf_spectacular/swagger_ui_pulse.html"
    template_name_js = "drf_spectacular/swagger_ui_pulse.js"
    permission_classes = [IsAuthenticated]
    url_name = "schema"

    @extend_schema(exclude=True)  # the page itself is no API operation
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            # The page's context wins over the context processor's section (from the URL name).
            response.data["nav_section"] = "api"
        return response


urlpatterns = [
    path("v1/", include("programs.api.urls")),
    path("v1/", include("programs.plans.api_urls")),
    path("v1/", include("programs.playbooks.api_urls")),
    path("v1/", include("programs.imports.api_urls")),
    path("v1/", include("metrics.api.urls")),
    path("v1/", include("reviews.api_urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="schema",
    ),
    path(
        "docs/",
        ApiDocsView.as_view(),
        name="api-docs",
    ),
]
urlpatterns.append(path("v1/me/", include("core.api_urls")))
