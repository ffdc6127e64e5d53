"""The sections reviews adds to the program page (registered in ``ReviewsConfig.ready``).

Each provider runs a fixed number of queries: one for its rows, whatever their number.
"""

from django.http import HttpRequest

from programs.models import Program
from programs.panels import Panel


def launch_reviews_panel(request: HttpRequest, program: Program, can_edit: bool) -> Panel:
    """The program's launch reviews with their state and checklist progress."""
    from reviews.selectors import program_launch_reviews

    return Panel(
        template="reviews/_launch_panel.html",
        context={
            "program": program,
            "reviews": program_launch_reviews(program=program),
            "can_create": request.user.has_perm("reviews.add_launchreview", program),
        },
        column="main",
        order=10,
    )


def capacity_panel(request: HttpRequest, program: Program, can_edit: bool) -> Panel:
    """The program's latest capacity requests with their state."""
    from reviews.capacity_selectors import program_capacity_requests

    return Panel(
        template="reviews/_capacity_panel.html",
        context={
            "program": program,
            "requests": program_capacity_requests(program=program),
            "can_create": can_edit,
        },
        column="side",
        order=20,
    )
