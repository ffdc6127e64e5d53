"""/api/v1/insights/<section>/: the numbers of an insights page, from the same selector.

One read-only endpoint per registered section (``metrics.insights.sections``), with the
pages' filters as query parameters; TPMs, leadership and admins only (403 otherwise).
"""

from typing import Any

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import error_response
from metrics.insights.cache import section_data
from metrics.insights.sections import SECTIONS, Section
from metrics.insights.selectors import InsightsFilters, Quarter, current_quarter, may_read_insights
from metrics.insights.serializers import FiltersQuerySerializer


class InsightsView(APIView):
    section: Section

    def read(self, request: Any) -> Response:
        if not may_read_insights(request.user):
            raise PermissionDenied("Insights are for TPMs and leadership.")
        query = FiltersQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = InsightsFilters(
            quarter=Quarter.parse(params.get("quarter", "")) or current_quarter(),
            portfolio=params.get("portfolio", ""),
            team=params.get("team", ""),
        )
        data = section_data(
            slug=self.section.slug, selector=self.section.selector, user=request.user,
            filters=filters, now=timezone.now(),
        )  # fmt: skip
        return Response(self.section.serializer(data).data)


def _view_for(section: Section) -> type[InsightsView]:
    @extend_schema(
        summary=section.api_summary,
        description=f"{section.question} The numbers of /insights/{section.slug}/, for the "
        "programs you may see (a confidential program only if you may read it), in a quarter "
        "and the three before it (`trend`). Durations are in days.",
        parameters=[
            OpenApiParameter(
                "quarter", str, description="e.g. 2026-Q3; default: the current quarter."
            ),
            OpenApiParameter("portfolio", str, description="A portfolio's slug."),
            OpenApiParameter("team", str, description="A team's slug."),
        ],
        responses={200: section.serializer, 400: error_response(400)},
    )
    def get(self: InsightsView, request: Any, *args: Any, **kwargs: Any) -> Response:
        return self.read(request)

    name = "".join(part.title() for part in section.slug.split("-")) + "InsightsView"
    return type(name, (InsightsView,), {"section": section, "get": get})


urlpatterns = [
    path(f"insights/{section.slug}/", _view_for(section).as_view(), name=f"insights-{section.slug}")
    for section in SECTIONS.values()
]
