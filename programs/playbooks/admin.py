"""Django admin for playbooks: the details (owners, workflow, review-by date) are edited here
with their history; versions are read-only (a correction is a new version, published in the
app, where the stale-base check holds)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from programs.admin_base import DomainAdminMixin
from programs.playbooks.models import Playbook, PlaybookVersion


class PlaybookVersionInline(admin.TabularInline):
    model = PlaybookVersion
    extra = 0
    fields = readonly_fields = ("number", "published_at", "author", "change_note")
    ordering = ["-number"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Playbook)
class PlaybookAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "slug", "governs", "current_version", "review_by"]
    list_filter = ["governs"]
    list_select_related = ["current_version"]
    search_fields = ["title", "slug", "summary"]
    autocomplete_fields = ["owners"]
    readonly_fields = ["slug", "current_version", "version", "created_at", "updated_at"]
    fields = [
        "title", "slug", "summary", "governs", "owners", "review_by", "current_version",
        "version", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [PlaybookVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # A new playbook is written in the app (it needs its first version).
        return self.readonly_fields if obj is not None else ["current_version", "version"]

    def has_add_permission(self, request):
        return False


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    """Versions to read: never changed, never deleted."""

    list_display = ["playbook", "number", "published_at", "author", "change_note"]
    list_select_related = ["playbook", "author"]
    search_fields = ["playbook__title", "change_note"]
    fields = readonly_fields = (
        "playbook", "number", "body", "change_note", "author", "published_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
