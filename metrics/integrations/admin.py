"""Django admin for Slack channels, webhook endpoints and the delivery log.

Secrets stay secret: a channel's webhook URL is never listed and its field is write-only (left
blank, the URL is kept); an endpoint's signing secret is made by Pulse and shown once, when
the endpoint is added or its secret rotated, then only its last four characters.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from metrics.integrations import services
from metrics.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EventKind,
    SlackChannel,
    WebhookEndpoint,
)

DESTINATION_FIELDS = (
    "name", "portfolio", "program", "event_types", "include_confidential", "active",
)  # fmt: skip


class DestinationForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(EventKind.values),
        help_text="The events sent here.",
    )


class SlackChannelForm(DestinationForm):
    webhook_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "size": 80}),
        label="Webhook URL",
        help_text="Slack: Apps → Incoming Webhooks → Add to Slack. Kept secret: leave blank to "
        "keep the current URL.",
    )

    class Meta:
        model = SlackChannel
        fields = (*DESTINATION_FIELDS, "webhook_url")

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url") or ""
        if not url and self.instance.pk:
            return self.instance.webhook_url  # blank on an edit: keep the secret URL
        if not url:
            raise forms.ValidationError("Paste the channel's incoming webhook URL.")
        return url


class WebhookEndpointForm(DestinationForm):
    class Meta:
        model = WebhookEndpoint
        fields = (*DESTINATION_FIELDS, "url")


class DestinationAdmin(admin.ModelAdmin):
    list_display = ["name", "scope_display", "events_display", "include_confidential", "active"]
    list_filter = ["active", "include_confidential", "portfolio"]
    list_select_related = ["portfolio", "program"]
    search_fields = ["name"]
    autocomplete_fields = ["portfolio", "program"]

    @admin.display(description="For")
    def scope_display(self, obj) -> str:
        return obj.scope

    @admin.display(description="Events")
    def events_display(self, obj) -> str:
        labels = dict(EventKind.choices)
        return ", ".join(labels.get(kind, kind) for kind in obj.event_types or [])


@admin.register(SlackChannel)
class SlackChannelAdmin(DestinationAdmin):
    form = SlackChannelForm
    list_display = [*DestinationAdmin.list_display, "url_display"]
    fieldsets = [(None, {"fields": DESTINATION_FIELDS}), ("Slack", {"fields": ["webhook_url"]})]

    @admin.display(description="Webhook URL")
    def url_display(self, obj: SlackChannel) -> str:
        return obj.masked_url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(DestinationAdmin):
    form = WebhookEndpointForm
    list_display = [*DestinationAdmin.list_display, "url", "secret_display"]
    readonly_fields = ["secret_display"]
    fieldsets = [
        (None, {"fields": DESTINATION_FIELDS}),
        ("Endpoint", {"fields": ["url", "secret_display"]}),
    ]
    actions = ["rotate_secret"]

    @admin.display(description="Signing secret")
    def secret_display(self, obj: WebhookEndpoint) -> str:
        if not obj.pk:
            return "Made by Pulse when you save, and shown once."
        return obj.masked_secret

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                format_html(
                    "The signing secret of {}: <code>{}</code> — copy it now, it is not shown "
                    "again (rotate it to get a new one).",
                    obj.name,
                    obj.secret,
                ),
            )

    @admin.action(description="Rotate the signing secret (shown once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        rotated = [
            (endpoint.name, services.endpoint_secret_rotate(endpoint=endpoint))
            for endpoint in queryset
        ]
        messages.warning(
            request,
            format_html(
                "New signing secrets — copy them now, they are not shown again: {}",
                format_html_join("; ", "{}: <code>{}</code>", rotated),
            ),
        )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("number", "started_at", "duration_ms", "status_code", "error")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "destination_display",
        "program",
        "status",
        "status_code",
        "attempts",
        "next_retry_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "channel", "endpoint"]
    list_select_related = ["channel", "endpoint", "program"]
    search_fields = ["program__name", "event_id", "last_error"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    fields = readonly_fields = (
        "event",
        "event_id",
        "destination_display",
        "program",
        "status",
        "status_code",
        "attempts",
        "last_error",
        "next_retry_at",
        "delivered_at",
        "resent_from",
        "payload_display",
    )

    def has_add_permission(self, request) -> bool:
        return False  # deliveries are made by events (and re-sent with the action)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is what happened

    @admin.display(description="Sent to")
    def destination_display(self, obj: Delivery) -> str:
        if obj.channel_id:
            return f"Slack: {obj.channel}"
        return f"Webhook: {obj.endpoint}"

    @admin.display(description="JSON sent")
    def payload_display(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.add_delivery")

    @admin.action(description="Re-send the selected deliveries", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset.select_related(None):
            services.delivery_resend(delivery=delivery)
            count += 1
        messages.success(
            request,
            f"{count} deliver{'y' if count == 1 else 'ies'} queued again: see the newest rows.",
        )
