"""The one write of single sign-on: the person's account as the provider describes it."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from core.roles import Role


@transaction.atomic
def sso_user_sync(
    *,
    user: AbstractUser | None,
    username: str,
    claims: Mapping[str, Any],
    roles: frozenset[str],
) -> AbstractUser:
    """Create the account on a first sign-in (with no usable password), or bring it up to date:
    e-mail and names from the claims, and exactly ``roles`` among the Pulse roles (other groups
    are left alone). Staff (Django admin) follows the Admin role; a superuser is never made."""
    if user is None:
        user = get_user_model()(username=username)
        user.set_unusable_password()
    # Django's User: e-mail up to 254 characters, names up to 150.
    for field, claim, longest in (
        ("email", "email", 254),
        ("first_name", "given_name", 150),
        ("last_name", "family_name", 150),
    ):
        value = claims.get(claim)
        if isinstance(value, str):
            setattr(user, field, value[:longest])
    user.is_staff = Role.ADMIN in roles
    user.full_clean(exclude=["password"])
    user.save()
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*[group for group in role_groups if group.name not in roles])
    user.groups.add(*[group for group in role_groups if group.name in roles])
    return user
