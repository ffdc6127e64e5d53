"""The home page: where each person starts, built from every app's data.

It lives at the top layer because it reads all of them: a TPM's programs (programs), the
operational-review action items waiting on them (reviews), and, for leadership, the
portfolio dashboard (metrics). ``core`` keeps sign-in, the profile and the probes.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.roles import Role, has_role
from programs.playbooks.selectors import overdue_playbooks
from programs.selectors import tpm_home
from reviews.ops.selectors import my_action_item_counts


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """A TPM's home: the programs they run, with the updates due or overdue first.

    Leadership's home is the portfolio dashboard.
    """
    if has_role(request.user, Role.LEADERSHIP):
        return redirect("leadership:dashboard")
    rows = tpm_home(user=request.user)
    return render(
        request,
        "metrics/home.html",
        {
            "rows": rows,
            "overdue_count": sum(1 for row in rows if row.overdue),
            "my_items": my_action_item_counts(request.user, today=timezone.localdate()),
            "overdue_playbooks": list(overdue_playbooks(owner=request.user)),
        },
    )
