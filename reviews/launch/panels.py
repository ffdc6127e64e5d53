"""The launch-review section of the program page (registered in ``ReviewsConfig.ready``).

It runs a fixed number of queries: one for its rows, whatever their number.
"""

from django.http import HttpRequest

from programs.models import Program
from programs.panels import Panel


def launch_reviews_panel(request: HttpRequest, program: Program, can_edit: bool) -> Panel:
    """The program's launch reviews with their state and checklist progress."""
    from reviews.launch.selectors import program_launch_reviews

    return Panel(
        template="reviews/launch/_panel.html",
        context={
            "program": program,
            "reviews": program_launch_reviews(program=program),
            "can_create": request.user.has_perm("reviews.add_launchreview", program),
        },
        column="main",
        order=10,
    )
