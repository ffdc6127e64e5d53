"""Admin of the plan templates (versioned like checklist templates) and a read-only view of
the plans: plans are written on their pages, where publishing keeps versions and asks for
acknowledgement."""

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from programs.plans import services
from programs.plans.models import Plan, PlanTemplate, PlanTemplateSection


class PlanTemplateSectionInline(admin.TabularInline):
    model = PlanTemplateSection
    extra = 1
    fields = ["position", "key", "title", "kind", "live", "material", "guidance"]

    def _frozen(self, obj: PlanTemplate | None) -> bool:
        return obj is not None and obj.plans.exists()

    def has_add_permission(self, request: HttpRequest, obj: PlanTemplate | None = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: PlanTemplate | None = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PlanTemplate | None = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    """A template plans follow is frozen: copy it as a new version, edit, activate."""

    list_display = ["name", "version", "active", "section_count", "plan_count"]
    list_filter = ["active"]
    search_fields = ["name"]
    inlines = [PlanTemplateSectionInline]
    actions = ["copy_as_new_version", "activate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanTemplate]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sections=Count("sections", distinct=True), n_plans=Count("plans", distinct=True)
            )
        )

    @admin.display(description="Sections", ordering="n_sections")
    def section_count(self, obj: PlanTemplate) -> int:
        return obj.n_sections  # type: ignore[attr-defined]

    @admin.display(description="Plans following it", ordering="n_plans")
    def plan_count(self, obj: PlanTemplate) -> int:
        return obj.n_plans  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: HttpRequest, obj: PlanTemplate | None = None) -> list:
        if obj is not None and obj.plans.exists():
            return ["name", "version", "description", "active"]
        return ["version", "active"] if obj is not None else ["active"]

    @admin.action(description="Copy as a new version (inactive, editable)")
    def copy_as_new_version(self, request: HttpRequest, queryset: QuerySet[PlanTemplate]) -> None:
        for template in queryset:
            copy = services.plan_template_new_version(template=template)
            messages.success(request, f"Created {copy}: edit its sections, then activate it.")

    @admin.action(
        description="Activate (new plans start from it; retires the name's other version)"
    )
    def activate(self, request: HttpRequest, queryset: QuerySet[PlanTemplate]) -> None:
        for template in queryset:
            services.plan_template_activate(template=template)
            messages.success(request, f"{template} is now the active version.")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["program", "template", "published", "awaiting", "awaiting_since"]
    list_select_related = ["program", "template"]
    search_fields = ["program__name", "program__slug"]
    readonly_fields = ["program", "template", "published", "awaiting", "awaiting_since", "version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started on the program's plan page
