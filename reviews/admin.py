"""Django admin for reviews: checklist templates, reviewers and their areas, budgets and
auto-approval thresholds; launch reviews and capacity requests to look at.

Checklist templates are immutable once a review uses them: admin shows a used template and
its items read-only, and the "Copy as a new version" action makes the next, inactive version
to edit. Activating a version retires the tier's previous one. Reviews and requests change
state only in the app (the transition table); here they are read-only.
"""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from programs.admin_base import DomainAdminMixin
from reviews.launch import services
from reviews.models import (
    ActionItem,
    AutoApprovalThreshold,
    CapacityBudget,
    CapacityRequest,
    ChecklistAreaGuidance,
    ChecklistItem,
    ChecklistTemplate,
    LaunchReview,
    OperationalReview,
    Reviewer,
    ReviewerArea,
)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ["order", "area", "question", "guidance", "required", "playbook", "playbook_anchor"]
    autocomplete_fields = ["playbook"]

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.in_use

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class ChecklistAreaGuidanceInline(ChecklistItemInline):
    """The playbook section that explains each review area (frozen with the template)."""

    model = ChecklistAreaGuidance  # type: ignore[assignment]
    extra = 0
    fields = ["area", "playbook", "playbook_anchor"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "version", "active", "item_count", "in_use"]
    list_filter = ["tier", "active"]
    search_fields = ["name"]
    inlines = [ChecklistItemInline, ChecklistAreaGuidanceInline]
    actions = ["copy_as_new_version", "activate"]

    @admin.display(description="Items")
    def item_count(self, obj) -> int:
        return obj.items.count()

    @admin.display(boolean=True, description="Used by reviews")
    def in_use(self, obj) -> bool:
        return obj.in_use

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.in_use:
            return ["name", "tier", "version", "description"]
        return ["version"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if obj.active:
            ChecklistTemplate.objects.filter(tier=obj.tier, active=True).exclude(pk=obj.pk).update(
                active=False
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Copy as a new version (inactive, editable)")
    def copy_as_new_version(self, request, queryset):
        for template in queryset:
            copy = services.checklist_template_new_version(template=template)
            messages.success(request, f"Created {copy}: edit it, then activate it.")

    @admin.action(description="Activate (retires the tier's current version)")
    def activate(self, request, queryset):
        for template in queryset:
            services.checklist_template_activate(template=template)
            messages.success(request, f"{template} is now the tier {template.tier} checklist.")


class ReviewerAreaInline(admin.TabularInline):
    model = ReviewerArea
    extra = 1


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "capacity_council", "area_list"]
    list_filter = ["capacity_council", "areas__area"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    inlines = [ReviewerAreaInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("areas")

    @admin.display(description="Areas")
    def area_list(self, obj) -> str:
        return ", ".join(area.get_area_display() for area in obj.areas.all())


@admin.register(CapacityBudget)
class CapacityBudgetAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["team", "quarter", "resource_kind", "amount"]
    list_filter = ["quarter", "resource_kind"]
    search_fields = ["team__name"]
    autocomplete_fields = ["team"]
    list_select_related = ["team"]


@admin.register(AutoApprovalThreshold)
class AutoApprovalThresholdAdmin(admin.ModelAdmin):
    list_display = ["resource_kind", "max_amount"]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LaunchReview)
class LaunchReviewAdmin(ReadOnlyAdmin):
    list_display = ["title", "program", "launch_date", "tier", "state", "author"]
    list_filter = ["state", "tier"]
    search_fields = ["title", "program__name"]
    list_select_related = ["program", "author"]
    date_hierarchy = "launch_date"


@admin.register(CapacityRequest)
class CapacityRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__", "team", "quarter", "resource_kind", "amount", "approved_amount", "state",
    ]  # fmt: skip
    list_filter = ["state", "quarter", "resource_kind", "auto_approved"]
    search_fields = ["team__name", "program__name", "justification"]
    list_select_related = ["team", "program"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fk_name = "created_in"
    extra = 0
    fields = readonly_fields = ("title", "owner", "due_date", "program", "state", "closed_in")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OperationalReview)
class OperationalReviewAdmin(ReadOnlyAdmin):
    """Read-only: reviews are run in the app, where closing freezes the agenda."""

    list_display = ["title", "date", "portfolio", "state", "facilitator", "created_by"]
    list_filter = ["state", "portfolio"]
    search_fields = ["title", "notes"]
    list_select_related = ["portfolio", "facilitator", "created_by"]
    date_hierarchy = "date"
    inlines = [ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner", "due_date", "program", "state", "created_in", "closed_in"]
    list_filter = ["state"]
    search_fields = ["title", "owner__username", "program__name"]
    list_select_related = ["owner", "program", "created_in", "closed_in"]
    date_hierarchy = "due_date"
