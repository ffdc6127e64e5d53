"""The programs API: thin viewsets that parse, check permission and call a service or selector.

Rules shared by every endpoint:
- reads show only what ``programs.selectors.visible_programs`` lets the caller see; anything
  in a confidential program the caller may not see answers 404, as if it did not exist;
- writes to a program or anything in it need ``programs.change_program`` on that program
  (403 otherwise); creating a program needs ``programs.add_program``; portfolios and teams
  are changed by admins only;
- every change to an existing object says which version it was based on: an ``If-Match``
  header with the ETag from GET (stale: 412) or ``version`` in the body (stale: 409);
  with neither, 428. Detail and write responses carry the object's ``ETag``.
"""

from collections.abc import Callable
from typing import Protocol, cast

from django.db.models import F, Prefetch, QuerySet
from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.serializers import BaseSerializer

from core.api import AdminWritesOnly, ReadWriteViewSet
from core.schema import PulseAutoSchema
from core.types import SignedInApiRequest
from programs import services
from programs.api import filters, serializers
from programs.filters import ProgramFilter
from programs.models import (
    Decision,
    Milestone,
    MilestoneDateChange,
    Portfolio,
    Program,
    ProgramMembership,
    Risk,
    StatusUpdate,
    Team,
)
from programs.selectors import visible_programs, with_list_annotations

EDIT_DENIED = "Only the program's TPM, its leads (engineering lead, PM) and admins may change it."


class _ApiView(Protocol):
    """What ``ProgramEditCheck`` needs of the API view it is mixed into."""

    @property
    def request(self) -> SignedInApiRequest: ...


class ProgramEditCheck:
    """Who may change a program or anything in it: ``programs.change_program`` on that program."""

    def check_can_edit(self: _ApiView, program: Program) -> None:
        if not self.request.user.has_perm("programs.change_program", program):
            raise PermissionDenied(EDIT_DENIED)


class ProgramChildViewSet(ProgramEditCheck, ReadWriteViewSet):
    """Milestones, updates, risks, decisions: visible when their program is; created by slug."""

    def check_can_write(self, instance) -> None:
        self.check_can_edit(instance.program)

    def get_queryset(self):
        programs = visible_programs(self.request.user).values("pk")
        return self.base_queryset().filter(program__in=programs)

    def perform_create_service(self, data: dict):
        program = data.pop("program")
        self.check_can_edit(program)
        return self.create_in(program, data)

    def create_in(self, program: Program, data: dict):
        raise NotImplementedError


# --- Portfolios and teams -----------------------------------------------------------------


def admin_catalog_viewset(
    *,
    model: type[Portfolio] | type[Team],
    queryset: QuerySet,
    serializer: type[BaseSerializer],
    input_serializer: type[BaseSerializer],
    update_serializer: type[BaseSerializer],
    create: Callable[..., Portfolio | Team],
    update: Callable[..., Portfolio | Team],
    filterset: type[FilterSet] | None = None,
) -> type[ReadWriteViewSet]:
    """The viewset of a catalog every signed-in user reads and only admins change, by slug.

    Portfolios and teams are such catalogs; they differ in their model, serializers and
    services only. ``update`` takes the object under the model's own name (``team=``).
    """
    noun = model._meta.verbose_name
    # A concrete model always has a model name; the stubs allow None.
    instance_argument = cast(str, model._meta.model_name)

    class CatalogViewSet(ReadWriteViewSet):
        serializer_class = serializer
        filterset_class = filterset
        input_serializers = {
            "create": input_serializer,
            "update": update_serializer,
            "partial_update": update_serializer,
        }
        permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
        lookup_field = "slug"
        search_fields = ["name", "slug"]
        ordering_fields = ["name", "created_at"]
        ordering = ["name"]

        def check_can_write(self, instance) -> None:
            """AdminWritesOnly already decided."""

        def perform_create_service(self, data):
            return create(user=self.request.user, **data)

        def perform_service(self, action_name, *, instance, data, version):
            return update(
                **{instance_argument: instance}, user=self.request.user, version=version, **data
            )

    CatalogViewSet.queryset = queryset
    CatalogViewSet.__name__ = CatalogViewSet.__qualname__ = f"{model.__name__}ViewSet"
    return extend_schema_view(
        list=extend_schema(summary=f"List {model._meta.verbose_name_plural}"),
        retrieve=extend_schema(summary=f"A {noun} (ETag header)"),
        create=extend_schema(summary=f"Create a {noun} (admins)"),
        update=extend_schema(summary=f"Replace a {noun} (admins)"),
        partial_update=extend_schema(summary=f"Change a {noun} (admins)"),
    )(CatalogViewSet)


PortfolioViewSet = admin_catalog_viewset(
    model=Portfolio,
    queryset=Portfolio.objects.select_related("leader"),
    serializer=serializers.PortfolioSerializer,
    input_serializer=serializers.PortfolioInputSerializer,
    update_serializer=serializers.PortfolioUpdateSerializer,
    create=services.portfolio_create,
    update=services.portfolio_update,
)
TeamViewSet = admin_catalog_viewset(
    model=Team,
    queryset=Team.objects.select_related("lead").prefetch_related("members"),
    serializer=serializers.TeamSerializer,
    input_serializer=serializers.TeamInputSerializer,
    update_serializer=serializers.TeamUpdateSerializer,
    create=services.team_create,
    update=services.team_update,
    filterset=filters.TeamFilter,
)


# --- Programs -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List the programs you may see"),
    retrieve=extend_schema(summary="A program (ETag header)"),
    create=extend_schema(summary="Create a program (TPMs and admins)"),
    update=extend_schema(summary="Replace a program's fields"),
    partial_update=extend_schema(summary="Change some of a program's fields"),
)
class ProgramViewSet(ProgramEditCheck, ReadWriteViewSet):
    queryset = Program.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.ProgramSerializer
    filterset_class = ProgramFilter
    input_serializers = {
        "create": serializers.ProgramInputSerializer,
        "update": serializers.ProgramUpdateSerializer,
        "partial_update": serializers.ProgramUpdateSerializer,
    }
    lookup_field = "slug"
    search_fields = ["name", "slug"]
    ordering_fields = [
        "name", "target_date", "start_date", "health_score", "priority", "last_update_at",
        "created_at",
    ]  # fmt: skip
    ordering = ["name"]

    def base_queryset(self, programs=None):
        programs = Program.objects.all() if programs is None else programs
        return with_list_annotations(programs).select_related("sponsor").prefetch_related("teams")

    def get_queryset(self):
        programs = self.base_queryset(visible_programs(self.request.user))
        if self.action == "list":
            # Lists leave out the Markdown brief: less to read, less to serialise.
            programs = programs.defer("problem_statement", "success_criteria")
        return programs

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ProgramListSerializer
        return super().get_serializer_class()

    def check_can_write(self, instance) -> None:
        self.check_can_edit(instance)

    def check_can_create(self) -> None:
        if not self.request.user.has_perm("programs.add_program"):
            raise PermissionDenied("Only TPMs and admins create programs.")

    def perform_create_service(self, data):
        return services.program_create(user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        return services.program_update(
            program=instance, user=self.request.user, version=version, **data
        )


@extend_schema_view(
    list=extend_schema(summary="List program memberships (filter by program)"),
    retrieve=extend_schema(summary="A membership"),
    create=extend_schema(summary="Add a person to a program"),
    destroy=extend_schema(summary="Remove a person from a program (not its TPM)"),
)
class MembershipViewSet(mixins.DestroyModelMixin, ProgramChildViewSet):
    """Members of programs. A person joins with a role; to change the role, remove and re-add."""

    queryset = ProgramMembership.objects.select_related("program", "user")
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter
    input_serializers = {"create": serializers.MembershipInputSerializer}
    http_method_names = ["get", "post", "delete", "head", "options"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering_fields = ["role", "created_at", "user__username"]
    ordering = ["program__name", "role", "user__username"]

    def create_in(self, program, data):
        if ProgramMembership.objects.filter(program=program, user=data["user"]).exists():
            raise ValidationError({"user": ["Already a member of this program."]})
        return services.membership_set(
            program=program, member=data["user"], role=data["role"], user=self.request.user
        )

    def perform_destroy(self, instance):
        self.check_can_edit(instance.program)
        services.membership_remove(membership=instance, user=self.request.user)


# --- Milestones ---------------------------------------------------------------------------

CONCURRENCY_NOTE = "Send If-Match with the ETag from GET, or `version` in the body."


@extend_schema_view(
    list=extend_schema(summary="List milestones of the programs you may see"),
    retrieve=extend_schema(summary="A milestone (ETag header)"),
    create=extend_schema(summary="Add a milestone to a program"),
    update=extend_schema(summary="Replace a milestone's details (not its dates)"),
    partial_update=extend_schema(summary="Change a milestone's details (not its dates)"),
)
class MilestoneViewSet(ProgramChildViewSet):
    queryset = Milestone.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    input_serializers = {
        "create": serializers.MilestoneInputSerializer,
        "update": serializers.MilestoneUpdateSerializer,
        "partial_update": serializers.MilestoneUpdateSerializer,
        "move": serializers.MilestoneMoveSerializer,
        "complete": serializers.MilestoneCompleteSerializer,
    }
    versioned_actions = ("update", "partial_update", "move", "complete")
    search_fields = ["name"]
    ordering_fields = ["target_date", "baseline_date", "name", "state", "created_at"]
    ordering = ["target_date", "id"]

    def base_queryset(self):
        return Milestone.objects.select_related("program", "owner_team").prefetch_related(
            Prefetch("depends_on", queryset=Milestone.objects.only("id"))
        )

    def create_in(self, program, data):
        return services.milestone_create(program=program, user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        operations: dict[str, Callable[..., Milestone]] = {
            "move": services.milestone_move,
            "complete": services.milestone_complete,
        }
        operation = operations.get(action_name, services.milestone_update)
        return operation(milestone=instance, user=self.request.user, version=version, **data)

    @extend_schema(
        summary="Move a milestone's target date, with a reason",
        description="The move is recorded in the slip ledger (milestone-date-changes); "
        "the baseline never moves. " + CONCURRENCY_NOTE,
        responses=serializers.MilestoneSerializer,
    )
    @action(detail=True, methods=["post"])
    def move(self, request, *args, **kwargs):
        return self.versioned_write()

    @extend_schema(
        summary="Mark a milestone done",
        description="Completed today unless `completed_date` is given. " + CONCURRENCY_NOTE,
        responses=serializers.MilestoneSerializer,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, *args, **kwargs):
        return self.versioned_write()


@extend_schema_view(
    list=extend_schema(summary="The slip ledger: every move of a milestone's target date"),
    retrieve=extend_schema(summary="One recorded date change"),
)
class MilestoneDateChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only: date changes are written by the milestone move action and never edited."""

    schema = PulseAutoSchema()
    queryset = MilestoneDateChange.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.MilestoneDateChangeSerializer
    filterset_class = filters.MilestoneDateChangeFilter
    ordering_fields = ["changed_at", "to_date"]
    ordering = ["-changed_at", "-id"]

    def get_queryset(self):
        programs = visible_programs(self.request.user).values("pk")
        return MilestoneDateChange.objects.select_related(
            "milestone__program", "changed_by"
        ).filter(milestone__program__in=programs)


# --- Status updates, risks, decisions -----------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List status updates"),
    retrieve=extend_schema(summary="A status update (ETag header)"),
    create=extend_schema(summary="Post a program's status update (you are the author)"),
    update=extend_schema(summary="Replace a status update"),
    partial_update=extend_schema(summary="Correct a status update"),
)
class StatusUpdateViewSet(ProgramChildViewSet):
    queryset = StatusUpdate.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.StatusUpdateSerializer
    filterset_class = filters.StatusUpdateFilter
    input_serializers = {
        "create": serializers.StatusUpdateInputSerializer,
        "update": serializers.StatusUpdateUpdateSerializer,
        "partial_update": serializers.StatusUpdateUpdateSerializer,
    }
    search_fields = ["summary"]
    ordering_fields = ["created_at", "reported_health"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return StatusUpdate.objects.select_related("program", "author")

    def create_in(self, program, data):
        return services.status_update_post(program=program, user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        return services.status_update_edit(
            update=instance, user=self.request.user, version=version, **data
        )


@extend_schema_view(
    list=extend_schema(summary="List risks (the RAID log)"),
    retrieve=extend_schema(summary="A risk (ETag header)"),
    create=extend_schema(summary="Log a risk"),
    update=extend_schema(summary="Replace a risk"),
    partial_update=extend_schema(summary="Change a risk"),
)
class RiskViewSet(ProgramChildViewSet):
    queryset = Risk.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.RiskSerializer
    filterset_class = filters.RiskFilter
    input_serializers = {
        "create": serializers.RiskInputSerializer,
        "update": serializers.RiskUpdateSerializer,
        "partial_update": serializers.RiskUpdateSerializer,
        "close": serializers.RiskCloseSerializer,
    }
    versioned_actions = ("update", "partial_update", "close")
    search_fields = ["title"]
    ordering_fields = ["exposure_score", "likelihood", "impact", "due_date", "created_at", "state"]
    ordering = ["-exposure_score", "id"]

    def base_queryset(self):
        return Risk.objects.select_related("program", "owner").annotate(
            exposure_score=F("likelihood") * F("impact")
        )

    def create_in(self, program, data):
        return services.risk_create(program=program, user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        if action_name == "close":
            return services.risk_close(risk=instance, user=self.request.user, version=version)
        return services.risk_update(risk=instance, user=self.request.user, version=version, **data)

    @extend_schema(
        summary="Close a risk",
        description="Sets the state to closed and records when. " + CONCURRENCY_NOTE,
        responses=serializers.RiskSerializer,
    )
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        return self.versioned_write()


@extend_schema_view(
    list=extend_schema(summary="List decisions"),
    retrieve=extend_schema(summary="A decision (ETag header)"),
    create=extend_schema(summary="Record a decision (you are its recorder)"),
    update=extend_schema(summary="Replace a decision"),
    partial_update=extend_schema(summary="Correct a decision"),
)
class DecisionViewSet(ProgramChildViewSet):
    queryset = Decision.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.DecisionSerializer
    filterset_class = filters.DecisionFilter
    input_serializers = {
        "create": serializers.DecisionInputSerializer,
        "update": serializers.DecisionUpdateSerializer,
        "partial_update": serializers.DecisionUpdateSerializer,
    }
    search_fields = ["title"]
    ordering_fields = ["decided_on", "created_at", "title"]
    ordering = ["-decided_on", "-id"]

    def base_queryset(self):
        return Decision.objects.select_related("program", "decided_by", "recorded_by")

    def create_in(self, program, data):
        return services.decision_record(program=program, user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        return services.decision_update(
            decision=instance, user=self.request.user, version=version, **data
        )
