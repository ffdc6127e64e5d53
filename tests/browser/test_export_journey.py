"""The analytics export page in a real browser: a running export's row refreshes itself (htmx
every 2 s) until its download link appears, and the link downloads the zip."""

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from core.roles import Role
from metrics.models import AnalyticsExport, ExportState
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_running_export_turns_into_a_download_without_a_reload(
    page: Page, live_server, console_errors, tmp_path
):
    leader = UserFactory(username="lee.leader", roles=[Role.LEADERSHIP])
    job = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.RUNNING, views_total=16, views_done=4,
        rows_written=1200,
    )  # fmt: skip
    (tmp_path / "pulse-analytics.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    with override_settings(EXPORT_ROOT=tmp_path):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("lee.leader")
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/insights/export/")
        row = page.locator(f"#export-{job.pk}")
        expect(row).to_contain_text("4 of 16 views · 1200 rows")
        expect(row.get_by_role("progressbar")).to_have_attribute("value", "25")

        AnalyticsExport.objects.filter(pk=job.pk).update(
            state=ExportState.DONE, views_done=16, rows_written=5000,
            path="pulse-analytics.zip", size_bytes=22,
        )  # fmt: skip
        link = row.get_by_role("link", name="Download")
        expect(link).to_be_visible(timeout=6000)  # the next poll, without a reload
        expect(row).to_contain_text("16 of 16 views · 5000 rows")
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "pulse-analytics.zip"
    assert console_errors == []
