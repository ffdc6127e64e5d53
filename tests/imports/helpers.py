"""Files as people make them: CSV text and XLSX workbooks written with openpyxl."""

import csv
import io

from openpyxl import Workbook


def csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PROGRAM_HEADER = ["slug", "name", "portfolio", "tpm", "phase", "priority", "start_date",
                  "target_date", "teams", "confidential"]  # fmt: skip
MILESTONE_HEADER = ["program", "key", "name", "target_date", "owner_team", "critical",
                    "depends_on", "move_reason"]  # fmt: skip
RISK_HEADER = ["program", "title", "likelihood", "impact", "owner", "due_date"]
