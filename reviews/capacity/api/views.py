"""The capacity API: thin viewsets that parse, check permission and call a service or selector.

The rules of every Pulse API hold (``core.api``): a request of a confidential program the
caller may not see answers 404 and is absent from lists; writes need the same permission as in
the browser (``reviews.rules``), else 403; every change to an existing object says which
version it was based on (If-Match or ``version``); an illegal state change answers 400 with the
reason, from the one transition table (``reviews.states``). Budgets are set by admins.
"""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from core.api import AdminWritesOnly, ReadWriteViewSet
from reviews.api import TRANSITIONS_NOTE, TransitionSerializer, visible_program_ids
from reviews.capacity import filters, services
from reviews.capacity.api import serializers
from reviews.models import CapacityBudget, CapacityRequest
from reviews.rules import is_capacity_approver


@extend_schema_view(
    list=extend_schema(summary="List capacity budgets (team, quarter, resource kind)"),
    retrieve=extend_schema(summary="A capacity budget (ETag header)"),
    create=extend_schema(summary="Set a team's budget for a quarter and kind (admins)"),
    update=extend_schema(summary="Replace a budget's amount (admins)"),
    partial_update=extend_schema(summary="Change a budget's amount (admins)"),
)
class CapacityBudgetViewSet(ReadWriteViewSet):
    """Budgets: everyone signed in reads them; admins set them."""

    queryset = CapacityBudget.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.CapacityBudgetSerializer
    filterset_class = filters.CapacityBudgetFilter
    input_serializers = {
        "create": serializers.CapacityBudgetInputSerializer,
        "update": serializers.CapacityBudgetUpdateSerializer,
        "partial_update": serializers.CapacityBudgetUpdateSerializer,
    }
    permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
    ordering_fields = ["quarter", "resource_kind", "amount"]
    ordering = ["team__name", "quarter", "resource_kind"]

    def base_queryset(self):
        return CapacityBudget.objects.select_related("team")

    def check_can_write(self, instance) -> None:
        """AdminWritesOnly already decided."""

    def perform_create_service(self, data):
        return services.capacity_budget_set(user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        return services.capacity_budget_update(
            budget=instance, user=self.request.user, version=version, **data
        )


def _capacity_action_schema(summary: str, description: str = ""):
    return extend_schema(
        summary=summary,
        description=(description + " " if description else "") + TRANSITIONS_NOTE,
        responses=serializers.CapacityRequestSerializer,
    )


@extend_schema_view(
    list=extend_schema(summary="List capacity requests of the programs you may see"),
    retrieve=extend_schema(summary="A capacity request (ETag header)"),
    create=extend_schema(summary="File a capacity request for your team (draft)"),
    update=extend_schema(summary="Replace a draft request"),
    partial_update=extend_schema(summary="Change a draft request"),
    destroy=extend_schema(summary="Delete a draft request"),
)
class CapacityRequestViewSet(mixins.DestroyModelMixin, ReadWriteViewSet):
    queryset = CapacityRequest.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.CapacityRequestSerializer
    filterset_class = filters.CapacityRequestFilter
    input_serializers = {
        "create": serializers.CapacityRequestInputSerializer,
        "update": serializers.CapacityRequestUpdateSerializer,
        "partial_update": serializers.CapacityRequestUpdateSerializer,
        "submit": TransitionSerializer,
        "approve": serializers.CapacityApproveSerializer,
        "deny": serializers.CapacityDenySerializer,
        "fulfill": TransitionSerializer,
    }
    versioned_actions = ("update", "partial_update", "submit", "approve", "deny", "fulfill")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    search_fields = ["justification", "program__name"]
    ordering_fields = ["created_at", "needed_by", "amount", "state"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return CapacityRequest.objects.select_related("team", "program", "requester", "decided_by")

    def get_queryset(self):
        return self.base_queryset().filter(program__in=visible_program_ids(self.request))

    def perform_create_service(self, data):
        if not self.request.user.has_perm("reviews.add_capacityrequest", data["team"]):
            raise PermissionDenied("Members of a team file its capacity requests.")
        return services.capacity_request_create(user=self.request.user, **data)

    def check_can_write(self, instance) -> None:
        if self.action in ("approve", "deny"):
            refusal = services.decision_refusal(self.request.user, instance)
            if refusal:
                raise PermissionDenied(refusal)
        elif self.action == "fulfill":
            if not is_capacity_approver(self.request.user):
                raise PermissionDenied("Only the capacity council and admins do this.")
        elif not self.request.user.has_perm("reviews.change_capacityrequest", instance):
            raise PermissionDenied("Only the requester and admins change a request.")

    def perform_service(self, action_name, *, instance, data, version):
        user = self.request.user
        if action_name in ("update", "partial_update"):
            if "team" in data and not user.has_perm("reviews.add_capacityrequest", data["team"]):
                raise PermissionDenied("Members of a team file its capacity requests.")
            return services.capacity_request_update(
                request=instance, user=user, version=version, **data
            )
        operations: dict[str, Callable[..., CapacityRequest]] = {
            "submit": services.capacity_request_submit,
            "approve": services.capacity_request_approve,
            "deny": services.capacity_request_deny,
            "fulfill": services.capacity_request_fulfill,
        }
        operation = operations[action_name]
        return operation(request=instance, user=user, version=version, **data)

    def perform_destroy(self, instance):
        self.check_can_write(instance)
        services.capacity_request_delete(request=instance, user=self.request.user)

    @_capacity_action_schema(
        "Submit a draft",
        "At or under the resource's auto-approval threshold and within budget, it is approved "
        "at once (`auto_approved`, with a decision note).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        return self.versioned_write()

    @_capacity_action_schema(
        "Approve all or part of a request (capacity council, admins)",
        "Over the team's quarter budget it is refused unless `override_reason` is given; "
        "the reason is recorded.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        return self.versioned_write()

    @_capacity_action_schema("Deny a request (capacity council, admins)")
    @action(detail=True, methods=["post"])
    def deny(self, request, *args, **kwargs):
        return self.versioned_write()

    @_capacity_action_schema("Mark approved capacity as provisioned")
    @action(detail=True, methods=["post"])
    def fulfill(self, request, *args, **kwargs):
        return self.versioned_write()
