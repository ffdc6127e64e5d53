"""Importing a workbook in a real browser: a TPM downloads nothing, uploads a workbook with a
mistake, reads the refused row (its number and column), uploads the corrected file, reads the
preview row by row and confirms; the programs are there. The preview's picture is the README's
(refreshed with UPDATE_SCREENSHOTS=1; otherwise it goes to ``test-results/``)."""

import datetime
import os

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from core.roles import Role
from programs.models import Milestone, Program
from tests.browser.test_leader_journey import RESULTS, ROOT
from tests.browser.test_tpm_journey import sign_in
from tests.factories import PortfolioFactory, TeamFactory, UserFactory
from tests.imports.helpers import MILESTONE_HEADER, PROGRAM_HEADER, RISK_HEADER, xlsx_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plan_workbook(*, kernel_team: str) -> bytes:
    return xlsx_bytes({
        "Programs": [
            PROGRAM_HEADER,
            ["", "Fleet kernel 6.9", "core-infrastructure", "tina.tpm", "executing", "P1",
             datetime.date(2027, 1, 4), datetime.date(2027, 6, 30), kernel_team, "no"],
            ["", "Edge TLS 1.3", "core-infrastructure", "tina.tpm", "planning", "P2",
             datetime.date(2027, 2, 1), datetime.date(2027, 9, 30), "sre", "no"],
        ],
        "Milestones": [
            MILESTONE_HEADER,
            ["Fleet kernel 6.9", "K1", "Canary fleet", "2027-02-15", "kernel", "yes", "", ""],
            ["Fleet kernel 6.9", "K2", "Half the fleet", "2027-04-01", "kernel", "no", "K1", ""],
            ["Edge TLS 1.3", "T1", "Ciphers agreed", "2027-03-01", "sre", "no", "", ""],
            ["Fleet kernel 6.9", "K3", "Whole fleet", "2027-06-01", "", "yes", "K2; T1", ""],
        ],
        "Risks": [
            RISK_HEADER,
            ["Fleet kernel 6.9", "NIC driver regressions", 3, 4, "tina.tpm", "2027-02-01"],
        ],
    })  # fmt: skip


def test_tpm_uploads_previews_and_confirms_a_workbook(
    page: Page, live_server, settings, tmp_path, console_errors
):
    settings.IMPORT_ROOT = tmp_path / "imports"
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    UserFactory(username="tina.tpm", first_name="Tina", last_name="Tran", roles=[Role.TPM])
    PortfolioFactory(name="Core Infrastructure", slug="core-infrastructure")
    TeamFactory(name="Kernel", slug="kernel")
    TeamFactory(name="SRE", slug="sre")
    base = live_server.url
    sign_in(page, base, "tina.tpm")
    page.goto(f"{base}/import/")
    expect(page.get_by_role("heading", name="Import from a spreadsheet or Jira")).to_be_visible()
    expect(page.get_by_role("link", name="the workbook (XLSX)")).to_be_visible()

    # A team that does not exist: the row is refused, with its number and column.
    page.get_by_label("File").set_input_files(
        files=[
            {"name": "plan.xlsx", "mimeType": XLSX, "buffer": plan_workbook(kernel_team="kernal")}
        ]  # fmt: skip
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("1 problem: nothing will be imported")
    refused = page.get_by_role("row", name="Program “Fleet kernel 6.9”")
    expect(refused).to_contain_text("Refused")
    expect(refused).to_contain_text("teams: No team “kernal”")
    expect(page.get_by_role("button", name="Import 7 rows")).to_have_count(0)

    page.get_by_label("File").set_input_files(
        files=[
            {"name": "plan.xlsx", "mimeType": XLSX, "buffer": plan_workbook(kernel_team="kernel")}
        ]  # fmt: skip
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview of plan.xlsx")).to_be_visible()
    expect(page.locator(".table-import tbody tr")).to_have_count(7)
    expect(
        page.get_by_role("row", name="Milestone “Whole fleet” of “Fleet kernel 6.9”")
    ).to_contain_text("depends on K2, T1")
    assert not Program.objects.exists()
    shots = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else RESULTS
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(".import-preview").screenshot(path=shots / "import-preview.png")

    page.get_by_role("button", name="Import 7 rows").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "Imported plan.xlsx"
    )
    assert Program.objects.count() == 2
    whole = Milestone.objects.get(name="Whole fleet")
    assert {m.name for m in whole.depends_on.all()} == {"Half the fleet", "Ciphers agreed"}
    assert console_errors == []
