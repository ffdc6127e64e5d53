"""The capacity section of the program page (registered in ``ReviewsConfig.ready``).

It runs a fixed number of queries: one for its rows, whatever their number.
"""

from django.http import HttpRequest

from programs.models import Program
from programs.panels import Panel


def capacity_panel(request: HttpRequest, program: Program, can_edit: bool) -> Panel:
    """The program's latest capacity requests with their state."""
    from reviews.capacity.selectors import program_capacity_requests

    return Panel(
        template="reviews/capacity/_panel.html",
        context={
            "program": program,
            "requests": program_capacity_requests(program=program),
            "can_create": can_edit,
        },
        column="side",
        order=20,
    )
