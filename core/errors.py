"""Domain errors raised by services; views and the API turn them into clear responses."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A business rule refused the change (HTTP 400). Carries field messages when it can."""


class StaleWriteError(Exception):
    """The client edited an old version of the object (HTTP 409, or 412 for If-Match)."""

    def __init__(self, *, current_version: int, submitted_version: int | None) -> None:
        self.current_version = current_version
        self.submitted_version = submitted_version
        super().__init__(
            f"This was changed by someone else since you loaded it (you had version "
            f"{submitted_version}, it is now at version {current_version}). "
            "Reload, re-apply your change and save again."
        )
