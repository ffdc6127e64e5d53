"""The five roles are Django groups (created by a migration); helpers that read them cheaply."""

from django.db import models


class Role(models.TextChoices):
    TPM = "TPM"
    ENGINEER = "Engineer"
    REVIEWER = "Reviewer"
    LEADERSHIP = "Leadership"
    ADMIN = "Admin"


def role_names(user) -> frozenset[str]:
    """The user's group names, read once per request and cached on the user object."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_pulse_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._pulse_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(role_names(user).intersection(roles))


def is_admin(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or has_role(user, Role.ADMIN))
    )


def sees_everything(user) -> bool:
    """Leadership and admins read every program, confidential ones included."""
    return is_admin(user) or has_role(user, Role.LEADERSHIP)
