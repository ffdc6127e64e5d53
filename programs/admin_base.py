"""What every app's admin of program data shares: versioned rows written as the services do.

Admin writes bypass the services' forms but keep their guarantees: a versioned row is locked
and gets a new version (so an API client holding the old one is refused), an edit made on a
form opened before somebody else's change is refused instead of overwriting it, and every
change that touches a program (deleting many rows at once included) tells the health engine.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.models import VersionedModel
from programs.models import Program
from programs.signals import notify_program_changed


class VersionedAdminForm(forms.ModelForm):
    """Carries the version the form was opened at, and refuses a save if it moved since."""

    opened_at_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, VersionedModel) and self.instance.pk:
            self.fields["opened_at_version"].initial = self.instance.version

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, never None
        opened = cleaned.get("opened_at_version")
        instance = self.instance
        if isinstance(instance, VersionedModel) and instance.pk and opened is not None:
            current = type(instance)._default_manager.filter(pk=instance.pk).values_list(
                "version", flat=True
            ).first()  # fmt: skip
            if current is not None and current != opened:
                raise ValidationError(
                    f"Somebody changed this since you opened it (version {opened} → {current}). "
                    "Reload the page to see their change, then make yours again."
                )
        return cleaned


class DomainAdminMixin(admin.ModelAdmin):
    """Locks and bumps versioned rows, refuses stale forms, and tells the health engine what
    changed (one row, an inline, or a bulk delete)."""

    form = VersionedAdminForm

    def save_model(self, request, obj, form, change):
        if change and isinstance(obj, VersionedModel):
            obj.version = self._locked_version(obj) + 1
        super().save_model(request, obj, form, change)
        self._notify(obj)

    def delete_model(self, request, obj):
        program_id = self._program_id(obj)
        super().delete_model(request, obj)
        if program_id:
            notify_program_changed(program_id)

    def delete_queryset(self, request, queryset):
        """The changelist's "delete selected": every program touched is rescored."""
        program_ids = {self._program_id(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        touched = {program_id for program_id in program_ids if program_id is not None}
        if touched:
            notify_program_changed(*touched)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if inline_form.has_changed() and instance.pk and isinstance(instance, VersionedModel):
                instance.version = self._locked_version(instance) + 1
        super().save_formset(request, form, formset, change)
        self._notify(form.instance)

    @staticmethod
    def _locked_version(obj: VersionedModel) -> int:
        """The row's version under the same row lock the services take (the admin's change
        view runs in a transaction)."""
        return (
            type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values_list("version", flat=True).get()
        )  # fmt: skip

    @staticmethod
    def _program_id(obj) -> int | None:
        if isinstance(obj, Program):
            return obj.pk
        return getattr(obj, "program_id", None)

    def _notify(self, obj) -> None:
        if program_id := self._program_id(obj):
            notify_program_changed(program_id)
