"""A Jira CSV export: its epics become milestones of one program, due on their due date (or the
latest due date of their issues), found again by their key on the next import."""

import datetime

import pytest

from programs.imports.reading import UploadError
from programs.imports.services import import_run
from programs.models import Milestone, MilestoneDateChange
from tests.factories import ProgramFactory
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db

# As Jira Cloud writes it: repeated columns, its own date format, parents by id.
HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Due date", "Labels",
          "Labels", "Parent", "Custom field (Epic Link)", "Resolved"]  # fmt: skip


def export(*rows: list[str]) -> bytes:
    return csv_bytes([HEADER, *rows])


EPICS = (
    ["Canary on 6.9", "KRN-1", "10001", "Epic", "In Progress", "15/Mar/27 12:00 AM", "a", "b", "",
     "", ""],
    ["Roll to the fleet", "KRN-2", "10002", "Epic", "To Do", "", "", "", "", "", ""],
    ["Build images", "KRN-3", "10003", "Story", "Done", "01/Apr/27 12:00 AM", "", "", "10002", "",
     "20/Feb/27 3:00 PM"],
    ["Drain racks", "KRN-4", "10004", "Task", "To Do", "2027-05-20", "", "", "", "KRN-2", ""],
    ["Old epic", "KRN-5", "10005", "Epic", "Done", "2026-11-01", "", "", "", "", "2026-10-30"],
)  # fmt: skip


def test_epics_become_milestones_due_on_their_date_or_their_issues_latest(tpm):
    program = ProgramFactory(tpm=tpm)
    result = import_run(
        user=tpm, data=export(*EPICS), filename="jira.csv", kind="jira", program=program.slug
    )
    assert result.plan.counts() == {"milestones": {"create": 3}}
    milestones = {m.name: m for m in Milestone.objects.filter(program=program)}
    assert set(milestones) == {"KRN-1: Canary on 6.9", "KRN-2: Roll to the fleet",
                               "KRN-5: Old epic"}  # fmt: skip
    canary = milestones["KRN-1: Canary on 6.9"]
    assert (canary.target_date, canary.state) == (datetime.date(2027, 3, 15), "in_progress")
    # No due date of its own: the latest of its issues' (one by parent id, one by epic link).
    assert milestones["KRN-2: Roll to the fleet"].target_date == datetime.date(2027, 5, 20)
    old = milestones["KRN-5: Old epic"]
    assert (old.state, old.completed_date) == ("done", datetime.date(2026, 10, 30))


def test_a_second_export_updates_the_epics_it_finds_by_key(tpm):
    program = ProgramFactory(tpm=tpm)
    import_run(user=tpm, data=export(*EPICS), filename="jira.csv", kind="jira",
               program=program.slug)  # fmt: skip
    later = ["Canary on 6.9 (renamed)", "KRN-1", "10001", "Epic", "In Progress", "2027-04-01",
             "", "", "", "", ""]  # fmt: skip
    result = import_run(user=tpm, data=export(later), filename="jira.csv", kind="jira",
                        program=program.name)  # fmt: skip
    assert [r.action for r in result.plan.rows] == ["update"]
    canary = Milestone.objects.get(program=program, name="KRN-1: Canary on 6.9 (renamed)")
    assert canary.target_date == datetime.date(2027, 4, 1)
    assert MilestoneDateChange.objects.get(milestone=canary).reason == "Due date changed in Jira."
    assert Milestone.objects.filter(program=program).count() == 3


def test_an_epic_without_any_date_and_a_bad_date_are_row_errors(tpm):
    program = ProgramFactory(tpm=tpm)
    data = export(
        ["No date", "KRN-7", "1", "Epic", "To Do", "", "", "", "", "", ""],
        ["Bad date", "KRN-8", "2", "Epic", "To Do", "someday", "", "", "", "", ""],
    )
    plan = import_run(user=tpm, data=data, filename="j.csv", kind="jira", program=program.slug,
                      dry_run=True).plan  # fmt: skip
    assert [(e.row, e.column) for e in plan.errors] == [(2, "Due date"), (3, "Due date")]
    assert "KRN-7 has no due date" in plan.errors[0].message


def test_a_file_that_is_not_a_jira_export_is_refused(tpm):
    program = ProgramFactory(tpm=tpm)
    with pytest.raises(UploadError, match="Issue key, Issue Type"):
        import_run(user=tpm, data=csv_bytes([["Summary", "Due date"], ["x", "2027-01-01"]]),
                   filename="j.csv", kind="jira", program=program.slug)  # fmt: skip
