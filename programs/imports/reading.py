"""From the uploaded bytes to sheets of rows of text, each row with its number in the file.

A CSV file is one sheet; an XLSX workbook is read sheet by sheet (sheets named Programs,
Milestones and Risks, as in the template; otherwise its first sheet). What a sheet holds is
told by its title or its columns. A Jira CSV export becomes a sheet of milestones: its epics,
each due on its due date (or, without one, on the latest due date of its issues).
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from programs.imports.columns import COLUMNS, KINDS, MILESTONES, PROGRAMS, RISKS, SHEET_TITLES

AUTO = "auto"
JIRA = "jira"
# 5 MB and 2,000 rows: a large organisation's portfolio in one file. Rows are written through
# the services (validation, history, the slip ledger) at 120-180 a second, so 2,000 rows
# take 11-17 s, inside a web worker's 30 s; a longer file is refused before anything
# is checked (split it).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 2_000


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def size_refusal(size: int) -> str:
    """Why a file of ``size`` bytes is refused, or "" when it is small enough (the form and
    the API check the upload's size before reading it)."""
    if size <= max_bytes():
        return ""
    return (
        f"The file is {size / 1_048_576:.1f} MB; Pulse imports files up to "
        f"{max_bytes() / 1_048_576:.0f} MB."
    )


class UploadError(Exception):
    """The file cannot be imported at all (too big, unreadable, no known sheet)."""


@dataclass(frozen=True)
class CellError:
    """A problem with one cell (or, with ``row`` 1, a column of the header)."""

    sheet: str
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet numbers it: the header is row 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Sheet:
    kind: str
    title: str
    rows: list[Row]
    errors: list[CellError] = field(default_factory=list)


def normalise_header(name: object) -> str:
    """ "Target date", "target_date *" and "TARGET-DATE" all name ``target_date``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name or "").strip().lower()).strip("_")


def cell_text(value: object) -> str:
    """A cell as text: dates as YYYY-MM-DD, whole numbers without ".0", booleans yes/no."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_table(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UploadError(
            f"The file is not UTF-8 text (byte {error.start + 1}): save it as CSV UTF-8."
        ) from error
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UploadError(f"The CSV file cannot be read: {error}.") from error


def _xlsx_tables(data: bytes) -> list[tuple[str, list[list[str]], int]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise UploadError("The file is not an XLSX workbook that can be read.") from error
    tables = []
    budget = max_rows() + 1  # rows past it are only counted, to say how long the file is
    for worksheet in book.worksheets:
        table: list[list[str]] = []
        extra = 0
        for values in worksheet.iter_rows(values_only=True):
            if len(table) <= budget:
                table.append([cell_text(value) for value in values])
            elif any(value is not None for value in values):
                extra += 1
        tables.append((worksheet.title, table, extra))
    book.close()
    return tables


def _rows(table: list[list[str]]) -> tuple[list[str], list[Row]]:
    """The header (normalised) and the non-blank rows under it, numbered from 2."""
    if not table:
        return [], []
    headers = [normalise_header(name) for name in table[0]]
    rows = []
    for number, values in enumerate(table[1:], start=2):
        cells = [value.strip() for value in values]  # text already (CSV, or ``cell_text``)
        if any(cells):
            values_by_header = zip(headers, cells, strict=False)  # a row may be shorter or longer
            rows.append(Row(number=number, values={h: c for h, c in values_by_header if h}))
    return headers, rows


def _guess_kind(title: str, headers: list[str]) -> str | None:
    by_title = {t.lower(): kind for kind, t in SHEET_TITLES.items()}
    if title.strip().lower() in by_title:
        return by_title[title.strip().lower()]
    if "likelihood" in headers or "impact" in headers:
        return RISKS
    if "portfolio" in headers or "tpm" in headers:
        return PROGRAMS
    if "program" in headers:
        return MILESTONES
    return None


def _check_header(sheet: str, kind: str, headers: list[str]) -> list[CellError]:
    known = {column.name for column in COLUMNS[kind]}
    errors = []
    seen: set[str] = set()
    for header in headers:
        if not header:
            continue
        if header in seen:
            errors.append(CellError(sheet, 1, header, f"The column “{header}” appears twice."))
        elif header not in known:
            errors.append(
                CellError(
                    sheet, 1, header,
                    f"Unknown column “{header}”. The {kind} columns are: "
                    + ", ".join(column.name for column in COLUMNS[kind]) + ".",
                )
            )  # fmt: skip
        seen.add(header)
    for column in COLUMNS[kind]:
        if column.required and column.name not in seen:
            errors.append(
                CellError(sheet, 1, column.name, f"The required column “{column.name}” is missing.")
            )
    return errors


def _count_rows(total: int) -> None:
    if total > max_rows():
        raise UploadError(
            f"The file has {total:,} rows; Pulse imports at most {max_rows():,} at a time. "
            "Split it into smaller files."
        )


def read_upload(*, data: bytes, filename: str, kind: str = AUTO, program: str = "") -> list[Sheet]:
    """The sheets of an upload, in the order they are written (programs, milestones, risks).

    ``kind``: ``auto`` (from the sheet's title or columns), one of ``KINDS`` (a CSV file, or an
    XLSX workbook's first sheet), or ``jira`` (a Jira CSV export: ``program`` is the slug or
    name of the program its epics become milestones of).
    """
    if too_big := size_refusal(len(data)):
        raise UploadError(too_big)
    if not data.strip():
        raise UploadError("The file is empty.")
    is_xlsx = data[:2] == b"PK"  # a zip archive, whatever its name says
    if kind == JIRA:
        if is_xlsx:
            raise UploadError("Export the Jira issues as CSV (all fields or current fields).")
        return [jira_sheet(_csv_table(data), program=program)]
    tables = _xlsx_tables(data) if is_xlsx else [(filename or "CSV file", _csv_table(data), 0)]
    parsed = [(title, *_rows(table)) for title, table, _ in tables]
    parsed = [(title, headers, rows) for title, headers, rows in parsed if headers]
    if not parsed:
        raise UploadError("The file holds no table: the first row names the columns.")
    _count_rows(sum(len(rows) for _, _, rows in parsed) + sum(extra for _, _, extra in tables))
    sheets = []
    for title, headers, rows in parsed:
        sheet_kind = kind if kind in KINDS else _guess_kind(title, headers)
        if sheet_kind is None:
            if len(parsed) > 1:
                continue  # another sheet of the workbook (notes, a pivot): not ours
            raise UploadError(
                "Pulse cannot tell what this file holds: use the template's columns, or choose "
                "programs, milestones or risks."
            )
        sheets.append(
            Sheet(kind=sheet_kind, title=title, rows=rows,
                  errors=_check_header(title, sheet_kind, headers))
        )  # fmt: skip
        if kind in KINDS:
            break  # a chosen kind is the first sheet's
    if not sheets:
        raise UploadError("No sheet named Programs, Milestones or Risks, as in the template.")
    sheets.sort(key=lambda sheet: KINDS.index(sheet.kind))
    return sheets


# --- Jira ------------------------------------------------------------------------------------

# Jira writes dates in the exporting user's format; these are its defaults and ISO.
JIRA_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d/%b/%y %I:%M %p",
    "%d/%b/%y",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%Y",
    "%d %b %Y",
)
JIRA_REQUIRED = ("issue_key", "summary", "issue_type")
# Where an issue names its epic: the parent (team-managed projects and Jira Cloud today) or
# the older "Epic Link" custom field; the parent may be given by key or by issue id.
JIRA_PARENT_COLUMNS = ("parent", "parent_key", "parent_id", "custom_field_epic_link", "epic_link")
JIRA_DONE = {"done", "closed", "resolved", "complete", "completed"}
JIRA_IN_PROGRESS = {"in progress", "in review", "in development", "started"}


def parse_jira_date(text: str) -> datetime.date | None:
    text = text.strip()
    for pattern in JIRA_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def _first_columns(header: list[str]) -> dict[str, int]:
    """Jira repeats columns (Labels, Sprint, Watchers…): the first of each name is read."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        found.setdefault(normalise_header(name), index)
    return found


def _jira_rows(table: list[list[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    columns = _first_columns(table[0])
    for number, values in enumerate(table[1:], start=2):
        if any(value.strip() for value in values):
            yield (
                number,
                {
                    name: values[index].strip() if index < len(values) else ""
                    for name, index in columns.items()
                },
            )


def jira_sheet(table: list[list[str]], *, program: str) -> Sheet:
    """A Jira export's epics as milestone rows of ``program`` (named "KEY: Summary", which is
    how a second import of the same export finds them again)."""
    title = "Jira export"
    if not table:
        raise UploadError("The file is empty.")
    columns = _first_columns(table[0])
    missing = [name for name in JIRA_REQUIRED if name not in columns]
    if missing or not ({"due_date", "due"} & columns.keys()):
        names = ", ".join(
            [{"issue_key": "Issue key", "summary": "Summary", "issue_type": "Issue Type"}[m]
             for m in missing] + ([] if {"due_date", "due"} & columns.keys() else ["Due date"])
        )  # fmt: skip
        raise UploadError(
            f"This is not a Jira CSV export: the columns {names} are missing. Export the issues "
            "from Jira's issue search (Export → CSV)."
        )
    rows = list(_jira_rows(table))
    _count_rows(len(rows))
    key_of_id = {values.get("issue_id", ""): values["issue_key"] for _, values in rows}
    latest_child_due: dict[str, datetime.date] = {}
    for _, values in rows:
        if values["issue_type"].lower() == "epic":
            continue
        due = parse_jira_date(values.get("due_date") or values.get("due", ""))
        for column in JIRA_PARENT_COLUMNS:
            parent = values.get(column, "")
            parent = key_of_id.get(parent, parent)
            if parent and due:
                latest_child_due[parent] = max(due, latest_child_due.get(parent, due))
                break
    sheet_rows = []
    errors = []
    for number, values in rows:
        if values["issue_type"].lower() != "epic":
            continue
        key, summary = values["issue_key"], values["summary"]
        due_text = values.get("due_date") or values.get("due", "")
        due = parse_jira_date(due_text) if due_text else latest_child_due.get(key)
        if due_text and due is None:
            errors.append(
                CellError(title, number, "Due date", f"“{due_text}” is not a date Pulse reads "
                          "(e.g. 2027-03-01 or 01/Mar/27).")
            )  # fmt: skip
            continue
        if due is None:
            errors.append(
                CellError(title, number, "Due date", f"The epic {key} has no due date, nor have "
                          "its issues: give it one in Jira, or leave it out of the export.")
            )  # fmt: skip
            continue
        status = values.get("status", "").lower()
        state = (
            "done" if status in JIRA_DONE else "in_progress" if status in JIRA_IN_PROGRESS else ""
        )
        resolved = parse_jira_date(values.get("resolved", "")) if state == "done" else None
        sheet_rows.append(
            Row(
                number=number,
                values={
                    "program": program,
                    "key": key,
                    "name": f"{key}: {summary}"[:200],
                    "target_date": due.isoformat(),
                    "state": state,
                    "completed_date": resolved.isoformat() if resolved else "",
                    "description": f"Jira epic {key}.",
                    "move_reason": "Due date changed in Jira.",
                    "jira_key": key,
                },
            )
        )
    if not sheet_rows and not errors:
        raise UploadError("The export holds no epic (Issue Type “Epic”): nothing to import.")
    return Sheet(kind=MILESTONES, title=title, rows=sheet_rows, errors=errors)
