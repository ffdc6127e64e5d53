"""A plan as a PDF, drawn on the server by WeasyPrint (no browser).

WeasyPrint lays out HTML with Pango. The page is ``templates/plans/pdf.html`` with
``static/css/plan-pdf.css``; it loads nothing from anywhere (``_NoFetching``): an image a plan's
Markdown points at is left out rather than fetched, so a plan cannot make the server request a
URL. Without Pango (a bare machine) the PDF is unavailable and the page says to print instead.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from programs.plans.selectors import PlanPage


def pdf_unavailable() -> str:
    """Why a PDF cannot be drawn here ("" when it can)."""
    try:
        import weasyprint  # noqa: F401 - loads Pango
    except (ImportError, OSError) as error:
        return f"PDF export needs WeasyPrint and Pango ({type(error).__name__}); print the page instead."
    return ""


def plan_pdf(*, page: PlanPage) -> bytes:
    import weasyprint

    class _NoFetching(weasyprint.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"a plan's PDF loads nothing from outside ({url[:60]})")

    html = render_to_string(
        "plans/pdf.html", {"page": page, "program": page.plan.program, "now": timezone.now()}
    )
    css = (Path(settings.BASE_DIR) / "static" / "css" / "plan-pdf.css").read_text()
    fetcher = _NoFetching()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    pdf = document.write_pdf(stylesheets=[weasyprint.CSS(string=css, url_fetcher=fetcher)])
    return bytes(pdf or b"")
