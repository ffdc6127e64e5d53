from django.apps import AppConfig
from django.db.models.signals import post_migrate

# What the Admin role manages in Django admin: every model of these apps ...
ADMIN_ROLE_APPS = (
    "core", "programs", "plans", "playbooks", "reviews", "metrics", "integrations", "axes",
)  # fmt: skip
# ... and these models of other apps (people and their roles).
ADMIN_ROLE_MODELS = {"auth": ("user", "group")}


def grant_admin_role_permissions(using: str = "default", **kwargs) -> None:
    """Give the "Admin" group every model permission of the apps admins manage.

    Runs after each migrate (so permissions of models added later are granted too) and is
    idempotent: adding a permission the group already has changes nothing. Does nothing
    until the role groups exist.
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from core.roles import Role

    group = Group.objects.using(using).filter(name=Role.ADMIN).first()
    if group is None:
        return
    wanted = Q(content_type__app_label__in=ADMIN_ROLE_APPS)
    for app_label, model_names in ADMIN_ROLE_MODELS.items():
        wanted |= Q(content_type__app_label=app_label, content_type__model__in=model_names)
    permissions = Permission.objects.using(using).filter(wanted)
    group.permissions.add(*permissions.exclude(group=group))


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Pulse core"

    def ready(self) -> None:
        # Every app's post_migrate, not only core's: core migrates before the apps whose
        # permissions it grants, and auth creates each app's permissions in that app's signal.
        post_migrate.connect(grant_admin_role_permissions, dispatch_uid="pulse_admin_role_perms")
        from core.sso import checks  # noqa: F401 - registers the single sign-on settings check
