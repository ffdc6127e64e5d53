"""What the provider says about a person, as a Pulse username and roles: pure functions."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from core.roles import Role

USERNAME_MAX_LENGTH = 150  # Django's User.username


def username_from_claims(claims: Mapping[str, Any]) -> str:
    """``preferred_username``, or the e-mail address when there is none; "" when neither makes a
    valid Django username (letters, digits and @.+-_, at most 150 characters)."""
    for name in ("preferred_username", "email"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            username = value.strip()
            try:
                UnicodeUsernameValidator()(username)
            except ValidationError:
                return ""
            return username if len(username) <= USERNAME_MAX_LENGTH else ""
    return ""


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The strings under ``path``: a claim name, or a dotted path into nested claims (Keycloak's
    ``realm_access.roles``). A single string counts as a list of one."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def role_for(name: str) -> str | None:
    """The Pulse role called ``name`` (any case), or None."""
    return {role.lower(): role for role in Role.values}.get(name.strip().lower())


def roles_from_claims(
    claims: Mapping[str, Any],
    *,
    groups_claim: str,
    role_map: Mapping[str, str],
    default_role: str = "",
) -> frozenset[str]:
    """The Pulse roles the person's groups give through ``role_map`` (group → role name);
    ``default_role`` when none does (empty: no role). Names that are no role are ignored."""
    roles = {
        role
        for group in claim_values(claims, groups_claim)
        if group in role_map and (role := role_for(role_map[group]))
    }
    if not roles and default_role and (role := role_for(default_role)):
        roles.add(role)
    return frozenset(roles)
