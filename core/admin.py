"""Django admin for what core owns: API tokens (revoke one; never see or make a secret)."""

from django.contrib import admin

from core.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "token_key", "created", "expiry", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "token_key"]
    readonly_fields = ["name", "user", "token_key", "created", "expiry", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False  # a token's secret is shown once, to its owner, on the profile page

    def has_change_permission(self, request, obj=None):
        return False
