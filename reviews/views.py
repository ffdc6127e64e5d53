"""What the workflows' pages share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.errors import StaleWriteError


def flash_refusal(request: HttpRequest, error: ValidationError | StaleWriteError) -> None:
    """A refused action as one message (field lists joined), for pages that redirect."""
    if isinstance(error, StaleWriteError):
        messages.error(request, str(error))
        return
    if hasattr(error, "error_dict"):
        parts = []
        for field, field_messages in error.message_dict.items():
            if field == "missing":
                parts.append("Still open: " + "; ".join(field_messages) + ".")
            else:
                parts.extend(field_messages)
        messages.error(request, " ".join(parts))
    else:
        messages.error(request, " ".join(error.messages))
