"""The columns of each kind of sheet, their help, and the downloadable templates."""

import io
from dataclasses import dataclass

import tablib


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str = ""


PROGRAMS = "programs"
MILESTONES = "milestones"
RISKS = "risks"
KINDS = (PROGRAMS, MILESTONES, RISKS)
# Sheets are written in this order, so milestones and risks may name programs created above.
SHEET_TITLES = {PROGRAMS: "Programs", MILESTONES: "Milestones", RISKS: "Risks"}

COLUMNS: dict[str, tuple[Column, ...]] = {
    PROGRAMS: (
        Column("slug", False, "An existing program's slug to update it; empty to create one.", ""),
        Column("name", True, "The program's name.", "Fleet kernel upgrade"),
        Column("portfolio", True, "A portfolio's slug or name.", "infrastructure"),
        Column("tpm", True, "The TPM's username or e-mail.", "tina.tpm"),
        Column("sponsor", False, "Username or e-mail.", ""),
        Column(
            "phase",
            False,
            "proposed, planning, executing, launching, done or cancelled.",
            "planning",
        ),
        Column("priority", False, "P0 to P3 (P2 when empty).", "P1"),
        Column("start_date", True, "YYYY-MM-DD.", "2027-01-04"),
        Column("target_date", True, "YYYY-MM-DD, not before the start.", "2027-06-30"),
        Column("teams", False, "Team slugs or names, separated by ';'.", "kernel; sre"),
        Column("confidential", False, "yes or no (no when empty).", "no"),
        Column("update_cadence_days", False, "Days between status updates (7 when empty).", "7"),
        Column("problem_statement", False, "Markdown.", "Kernels are three versions behind."),
        Column("success_criteria", False, "Markdown.", ""),
    ),  # fmt: skip
    MILESTONES: (
        Column(
            "program",
            True,
            "The program's slug or name (a program of this file too).",
            "Fleet kernel upgrade",
        ),
        Column("key", False, "Your key for this row, for depends_on (unique in the file).", "M1"),
        Column(
            "name",
            True,
            "The milestone; an existing name of the program updates it.",
            "Canary fleet on 6.9",
        ),
        Column("target_date", True, "YYYY-MM-DD.", "2027-03-01"),
        Column(
            "baseline_date",
            False,
            "YYYY-MM-DD, the agreed date (the target when empty); it never moves once set.",
            "",
        ),
        Column("owner_team", False, "A team's slug or name.", "kernel"),
        Column("state", False, "planned, in_progress, done, blocked or cancelled.", "planned"),
        Column("critical", False, "yes or no.", "yes"),
        Column("completed_date", False, "YYYY-MM-DD, for a done milestone.", ""),
        Column(
            "depends_on",
            False,
            "Keys of this file or names of the program's milestones, separated by ';'.",
            "",
        ),
        Column("description", False, "Text.", ""),
        Column(
            "move_reason",
            False,
            "Why the target date moves (updating an existing milestone's date needs one).",
            "",
        ),
    ),  # fmt: skip
    RISKS: (
        Column("program", True, "The program's slug or name.", "Fleet kernel upgrade"),
        Column(
            "title",
            True,
            "The risk; an existing title of the program updates it.",
            "Vendor firmware late",
        ),
        Column("likelihood", True, "1 (rare) to 5 (almost certain).", "3"),
        Column("impact", True, "1 (minor) to 5 (severe).", "4"),
        Column("owner", False, "Username or e-mail.", "tina.tpm"),
        Column("mitigation", False, "Markdown.", "Second vendor qualified."),
        Column("due_date", False, "YYYY-MM-DD, when the mitigation is due.", "2027-02-15"),
        Column("state", False, "open, mitigating, accepted or closed (open when empty).", "open"),
        Column("description", False, "Markdown.", ""),
    ),  # fmt: skip
}


def template_dataset(kind: str) -> tablib.Dataset:
    """The kind's columns with one example row (a template to fill in)."""
    columns = COLUMNS[kind]
    dataset = tablib.Dataset(title=SHEET_TITLES[kind])
    dataset.headers = [column.name for column in columns]
    dataset.append([column.example for column in columns])
    return dataset


def template_csv(kind: str) -> bytes:
    return template_dataset(kind).export("csv").encode("utf-8")


def template_xlsx() -> bytes:
    """One workbook with a sheet per kind (programs, milestones, risks: written in that order)."""
    book = tablib.Databook([template_dataset(kind) for kind in KINDS])
    data = book.export("xlsx")
    return data if isinstance(data, bytes) else io.BytesIO(data).getvalue()
