"""``manage.py check`` catches single sign-on settings that cannot work."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from core.roles import Role
from core.sso import provider
from core.sso.claims import role_for


@register()
def check_sso_settings(app_configs=None, **kwargs):
    problems: list[CheckMessage] = []
    for group, role in settings.OIDC_ROLE_MAP.items():
        if not role_for(role):
            problems.append(
                Error(
                    f"OIDC_ROLE_MAP maps {group!r} to {role!r}, which is no Pulse role.",
                    hint=f"Roles: {', '.join(Role.values)}.",
                    id="pulse.E201",
                )
            )
    if settings.OIDC_DEFAULT_ROLE and not role_for(settings.OIDC_DEFAULT_ROLE):
        problems.append(
            Error(
                f"OIDC_DEFAULT_ROLE {settings.OIDC_DEFAULT_ROLE!r} is no Pulse role.",
                id="pulse.E202",
            )
        )
    started = settings.OIDC_CLIENT_ID or settings.OIDC_CLIENT_SECRET or settings.OIDC_ISSUER
    if started and not provider.enabled():
        problems.append(
            Warning(
                "Single sign-on is half configured, so it is off.",
                hint="Set OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_ISSUER (or each endpoint).",
                id="pulse.W201",
            )
        )
    if provider.enabled() and not settings.OIDC_ROLE_MAP and not settings.OIDC_DEFAULT_ROLE:
        problems.append(
            Warning(
                "Single sign-on is on but no group maps to a role: nobody can sign in with it.",
                hint="Set OIDC_ROLE_MAP (and/or OIDC_DEFAULT_ROLE).",
                id="pulse.W202",
            )
        )
    return problems
