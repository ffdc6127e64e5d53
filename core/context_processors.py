"""The top navigation: which items a user sees, in the order their role uses them most."""

from dataclasses import dataclass

from django.urls import reverse

from core.roles import Role, is_admin, role_names


@dataclass(frozen=True)
class NavItem:
    key: str  # compared with ``nav_section`` to mark the current page
    label: str
    url: str


# key -> (label, URL name or path). The labels are what people (and the journeys) click.
_ITEMS = {
    "home": ("Home", "home"),
    "dashboard": ("Dashboard", "leadership:dashboard"),
    "reports": ("Reports", "leadership:reports"),
    "programs": ("Programs", "programs:list"),
    "launches": ("Launches", "reviews:launch-list"),
    "reviews": ("Review queue", "reviews:queue"),
    "capacity": ("Capacity", "reviews:capacity-list"),
    "ops": ("Ops review", "ops:list"),
    "insights": ("Insights", "insights:overview"),
    "playbooks": ("Playbooks", "playbooks:list"),
    "api": ("API docs", "/api/docs/"),
    "admin": ("Admin", "admin:index"),
}

# What each role does most comes first; the first PRIMARY_COUNT items show in the bar, the rest
# go under "More". Leadership's home is the dashboard (the home view redirects), so no "Home".
ROLE_ORDER = {
    Role.TPM: ("home", "programs", "ops", "launches", "dashboard", "capacity", "reviews", "insights", "reports", "playbooks", "api"),
    Role.ENGINEER: ("launches", "capacity", "home", "programs", "ops", "reviews", "dashboard", "reports", "playbooks", "api"),
    Role.REVIEWER: ("reviews", "launches", "capacity", "programs", "home", "ops", "dashboard", "reports", "playbooks", "api"),
    Role.LEADERSHIP: ("dashboard", "insights", "reports", "programs", "launches", "ops", "capacity", "reviews", "playbooks", "api"),
    Role.ADMIN: ("home", "programs", "reviews", "ops", "admin", "launches", "capacity", "dashboard", "reports", "insights", "playbooks", "api"),
}  # fmt: skip
# A signed-in user without a role (or a superuser outside the groups) gets a general order.
DEFAULT_ORDER = ("home", "programs", "launches", "dashboard", "ops", "reviews", "capacity", "reports", "playbooks", "api")  # fmt: skip
# Whose order leads when a user holds several roles.
PRECEDENCE = (Role.ADMIN, Role.REVIEWER, Role.LEADERSHIP, Role.TPM, Role.ENGINEER)
PRIMARY_COUNT = 5


def nav_order(user) -> list[str]:
    """The item keys for ``user``, most used first.

    Several roles are merged round-robin in PRECEDENCE order, so each role's first items lead.
    "Admin" (the Django admin) is offered only to staff, the only ones it lets in.
    """
    names = role_names(user)
    orders = [ROLE_ORDER[role] for role in PRECEDENCE if role in names]
    if is_admin(user) and Role.ADMIN not in names:
        orders.insert(0, ROLE_ORDER[Role.ADMIN])
    if not orders:
        orders = [DEFAULT_ORDER]
    keys: list[str] = []
    for position in range(max(len(order) for order in orders)):
        for order in orders:
            if position < len(order) and order[position] not in keys:
                keys.append(order[position])
    for key in DEFAULT_ORDER:  # whatever no role listed stays reachable under "More"
        if key not in keys:
            keys.append(key)
    if user.is_staff:
        if "admin" not in keys:
            keys.append("admin")
    elif "admin" in keys:
        keys.remove("admin")
    return keys


def nav_items(user) -> tuple[list[NavItem], list[NavItem]]:
    """(the items in the bar, the items under "More") for a signed-in user."""
    items = []
    for key in nav_order(user):
        label, target = _ITEMS[key]
        items.append(NavItem(key, label, target if target.startswith("/") else reverse(target)))
    return items[:PRIMARY_COUNT], items[PRIMARY_COUNT:]


def _section(match) -> str:
    """The section a URL belongs to; views may pass their own ``nav_section``, which wins."""
    if match is None:
        return ""
    if match.namespace == "leadership":
        return "reports" if match.url_name.startswith("report") else "dashboard"
    if match.namespace == "reviews":
        if match.url_name.startswith(("capacity", "budget")):
            return "capacity"
        return "reviews" if match.url_name == "queue" else "launches"
    if match.namespace == "metrics":
        return "programs"
    return match.namespace or match.url_name or ""


def navigation(request):
    """The navigation bar's items for this user and the active section."""
    context: dict[str, object] = {"nav_section": _section(getattr(request, "resolver_match", None))}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        primary, more = nav_items(user)
        context.update(nav_primary=primary, nav_more=more, nav_all=primary + more)
    return context
