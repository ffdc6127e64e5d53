"""The program page's milestone timeline and risk matrix (metrics panels)."""

import datetime
import re

import pytest

from tests.factories import MilestoneFactory, RiskFactory

pytestmark = pytest.mark.django_db


def test_timeline_and_matrix_on_the_program_page(client, tpm, program):
    """The timeline carries every open milestone; the matrix counts risks per cell, ranked."""
    MilestoneFactory(program=program, name="Canary", target_date=datetime.date(2026, 12, 20))
    MilestoneFactory(program=program, name="Dropped", state="cancelled")
    vendor = RiskFactory(program=program, title="Vendor late", likelihood=4, impact=5)
    RiskFactory(program=program, title="Vendor API", likelihood=4, impact=5)
    RiskFactory(program=program, title="Small thing", likelihood=1, impact=2)
    RiskFactory(program=program, title="Gone", likelihood=5, impact=5, state="closed")
    client.force_login(tpm)
    html = client.get(program.get_absolute_url()).content.decode()
    assert 'data-chart="milestone-timeline-data"' in html
    assert "1 milestone · 1 moved past baseline" in html
    assert 'class="risk-cell risk-high has-risks"' in html
    assert re.search(r'<span class="risk-count">2</span>', html)
    matrix = html.split('id="risk-matrix"', 1)[1].split("</section>", 1)[0]
    assert "3 open" in matrix and "Gone" not in matrix  # closed risks stay off the matrix
    # The matrix counts; the risk list below holds the texts (each title once on the page).
    assert "Vendor late" not in matrix and "Small thing" not in matrix
    assert f'href="#risk-{vendor.pk}"' in matrix  # the cell leads to its first risk


def test_no_milestones_or_risks_no_panels(client, tpm, program):
    client.force_login(tpm)
    html = client.get(program.get_absolute_url()).content.decode()
    assert 'id="milestone-timeline"' not in html and 'id="risk-matrix"' not in html
