"""Routes of the plans API, included at /api/v1/ (see ``programs.plans.api``)."""

from django.urls import path

from programs.plans import api

urlpatterns = [
    path("plan-templates/", api.PlanTemplatesView.as_view(), name="plan-templates"),
    path("programs/<str:slug>/plan/", api.PlanView.as_view(), name="plan"),
    path(
        "programs/<str:slug>/plan/versions/", api.PlanVersionsView.as_view(), name="plan-versions"
    ),
    path(
        "programs/<str:slug>/plan/versions/<str:number>/",
        api.PlanVersionView.as_view(),
        name="plan-version",
    ),
    path(
        "programs/<str:slug>/plan/acknowledgements/",
        api.PlanAcknowledgementsView.as_view(),
        name="plan-acknowledgements",
    ),
]
