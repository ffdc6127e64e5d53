"""Form helpers every app's browser forms share."""

from collections.abc import Callable

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet

from core.errors import StaleWriteError

User = get_user_model()


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again.",
    }


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO so the browser can read it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def person_label(user) -> str:
    return user.get_full_name() or user.username


class PersonChoiceField(forms.ModelChoiceField):
    """Pick a person by name (falls back to the username)."""

    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def form_field[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's field ``name``, checked to be a ``kind``.

    ``form.fields`` holds plain ``Field``s as far as the type checker knows; a form that sets a
    choice field's options or a model choice field's queryset at run time fetches it here.
    """
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"Field {name!r} is a {type(field).__name__}, not a {kind.__name__}.")
    return field


def active_people() -> QuerySet:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ``DomainError``/``ValidationError`` on the form.

    Messages for fields the form has go next to those fields; the rest go on top of the form.
    """
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                if target is None and field != NON_FIELD_ERRORS:
                    message = f"{field.replace('_', ' ').capitalize()}: {message}"
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class VersionedFormMixin(forms.Form):
    """The version the user loaded, sent back with the edit and checked by the service."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        version = getattr(instance, "version", None) if instance is not None else None
        if version is not None and not self.is_bound:
            self.initial["version"] = version


def call_service[T](form: forms.BaseForm, call: Callable[[], T]) -> tuple[bool, T | None]:
    """Call a service; a refusal becomes errors on ``form``. Returns (succeeded, result).

    A stale version becomes a form-wide error that keeps what the user typed (and sets
    ``form.stale`` so the page can offer a reload); a domain error becomes field errors.
    The flag, not the result, says whether it worked: some services (a removal) return None.
    """
    try:
        return True, call()
    except StaleWriteError as error:
        form.add_error(None, str(error))
        form.stale = True  # type: ignore[attr-defined]
    except ValidationError as error:
        add_service_error(form, error)
    return False, None


def run_service[T](form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """``call_service`` for pages that need only the result (None when refused).

    Pages that redirect on success use ``core.generic_views.service_form_view`` instead.
    """
    return call_service(form, call)[1]
