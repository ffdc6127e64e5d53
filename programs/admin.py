"""Django admin for the programs domain: what the Admin role manages, history included.

Built for 10,000 programs: every list selects its foreign keys in the one list query, foreign
keys are autocompletes (never a 10,000-option select), filters only offer short lists, and the
big tables skip the second, unfiltered COUNT.

Admin writes bypass the services' forms but keep their guarantees where it matters
(``core.admin.DomainAdminMixin``: versioned rows locked and bumped, stale forms refused, health
recomputed, bulk deletes included); target dates only move in the app where a reason is asked
for, and the date-change ledger is read-only.
"""

from django.contrib import admin
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from programs.admin_base import DomainAdminMixin
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


@admin.register(Portfolio)
class PortfolioAdmin(DomainAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "leader", "program_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["leader"]
    list_select_related = ["leader"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(program_count=Count("programs"))

    @admin.display(description="programs", ordering="program_count")
    def program_count(self, obj) -> int:
        return obj.program_count


@admin.register(Team)
class TeamAdmin(DomainAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "lead", "member_count"]
    list_select_related = ["lead"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["members", "lead"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count


class MembershipInline(admin.TabularInline):
    model = ProgramMembership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]


class MilestoneInline(admin.TabularInline):
    """The plan at a glance. Dates move on the milestone's own page or in the app."""

    model = Milestone
    extra = 0
    fields = [
        "name", "owner_team", "state", "critical", "baseline_date", "target_date",
        "completed_date",
    ]  # fmt: skip
    readonly_fields = ["baseline_date", "target_date", "completed_date"]
    autocomplete_fields = ["owner_team"]
    show_change_link = True
    ordering = ["target_date", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        # A new milestone needs its dates, which this row does not edit: add it on its page.
        return False


@admin.register(Program)
class ProgramAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name", "portfolio", "phase", "priority", "tpm", "health_grade", "health_score",
        "target_date", "last_update_at", "confidential",
    ]  # fmt: skip
    list_filter = ["phase", "priority", "health_grade", "confidential", "portfolio"]
    search_fields = ["name", "slug", "tpm__username", "tpm__last_name"]
    list_select_related = ["portfolio", "tpm"]
    autocomplete_fields = ["portfolio", "tpm", "sponsor", "teams"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "target_date"
    readonly_fields = [
        "version", "health_score", "health_grade", "health_computed_at", "last_update_at",
        "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "slug", "portfolio", "tpm", "sponsor", "teams"]}),
        (
            "Plan",
            {"fields": ["phase", "priority", "start_date", "target_date", "update_cadence_days"]},
        ),
        ("Narrative", {"fields": ["problem_statement", "success_criteria"]}),
        ("Visibility", {"fields": ["confidential"]}),
        (
            "Computed",
            {
                "classes": ["collapse"],
                "fields": [
                    "health_score",
                    "health_grade",
                    "health_computed_at",
                    "last_update_at",
                    "version",
                    "created_at",
                    "updated_at",
                ],  # fmt: skip
            },
        ),
    ]
    inlines = [MembershipInline, MilestoneInline]
    history_list_display = ["phase", "target_date", "tpm"]


@admin.register(ProgramMembership)
class ProgramMembershipAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["program", "user", "role"]
    list_filter = ["role"]
    search_fields = ["program__name", "user__username", "user__last_name"]
    list_select_related = ["program", "user"]
    autocomplete_fields = ["program", "user"]
    show_full_result_count = False


class DateChangeInline(admin.TabularInline):
    """The ledger of target-date moves: read-only, slips are never rewritten."""

    model = MilestoneDateChange
    extra = 0
    fields = readonly_fields = (
        "changed_at",
        "changed_by",
        "from_date",
        "to_date",
        "delta_days",
        "reason",
    )
    ordering = ["-changed_at", "-id"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description="days")
    def delta_days(self, obj) -> int:
        return obj.delta_days


@admin.register(Milestone)
class MilestoneAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name", "program", "state", "critical", "baseline_date", "target_date", "slip",
        "completed_date",
    ]  # fmt: skip
    list_filter = ["state", "critical", "program__portfolio"]
    search_fields = ["name", "program__name", "program__slug"]
    list_select_related = ["program"]
    autocomplete_fields = ["program", "owner_team", "depends_on"]
    date_hierarchy = "target_date"
    show_full_result_count = False
    inlines = [DateChangeInline]
    history_list_display = ["target_date", "state"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["version", "created_at", "updated_at"]
        if obj is None:
            return fixed
        # The baseline is set once; a target move needs a reason, asked for in the app.
        return [*fixed, "baseline_date", "target_date"]

    @admin.display(description="slip (days)")
    def slip(self, obj) -> int:
        return obj.slip_days


@admin.register(MilestoneDateChange)
class MilestoneDateChangeAdmin(admin.ModelAdmin):
    """Read-only: the ledger is written by ``milestone_move`` and never edited."""

    list_display = [
        "milestone",
        "program",
        "from_date",
        "to_date",
        "delta",
        "changed_by",
        "changed_at",
    ]
    list_filter = [("changed_at", admin.DateFieldListFilter)]
    search_fields = ["milestone__name", "milestone__program__name", "reason"]
    list_select_related = ["milestone", "program", "changed_by"]
    date_hierarchy = "changed_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="days")
    def delta(self, obj) -> int:
        return obj.delta_days


@admin.register(StatusUpdate)
class StatusUpdateAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["program", "reported_health", "author", "created_at"]
    list_filter = ["reported_health", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["program__name", "summary", "author__username"]
    list_select_related = ["program", "author"]
    autocomplete_fields = ["program", "author"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Risk)
class RiskAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "title",
        "program",
        "likelihood",
        "impact",
        "exposure",
        "state",
        "owner",
        "due_date",
    ]
    list_filter = ["state", "likelihood", "impact"]
    search_fields = ["title", "program__name", "owner__username"]
    list_select_related = ["program", "owner"]
    autocomplete_fields = ["program", "owner"]
    readonly_fields = ["version", "closed_at", "created_at", "updated_at"]
    show_full_result_count = False

    @admin.display(description="L×I")
    def exposure(self, obj) -> int:
        return obj.exposure


@admin.register(Decision)
class DecisionAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "program", "decided_on", "decided_by", "recorded_by"]
    list_filter = [("decided_on", admin.DateFieldListFilter)]
    search_fields = ["title", "program__name", "outcome"]
    list_select_related = ["program", "decided_by", "recorded_by"]
    autocomplete_fields = ["program", "decided_by", "recorded_by"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "decided_on"
    show_full_result_count = False
