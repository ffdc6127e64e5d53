"""Write an import, all or nothing, through the programs services; keep an upload between
its preview and its confirmation.

``import_run`` reads, plans and (unless a dry run) writes in one transaction: the plan is made
inside it, so what is written is what was checked, and any refusal rolls every row back.
Health is announced once per touched program after the commit, not once per row.
"""

import datetime
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import StaleWriteError
from core.types import User
from programs import services
from programs.imports.columns import MILESTONES, PROGRAMS, RISKS
from programs.imports.planning import CREATE, UPDATE, ImportPlan, RowPlan, import_plan
from programs.imports.reading import AUTO, CellError, UploadError, read_upload
from programs.models import Milestone, MoveCategory, Program
from programs.signals import notify_program_changed, program_changes_unannounced

logger = logging.getLogger(__name__)


class ImportRefused(Exception):
    """The plan has errors (nothing was written); ``plan`` says which rows and why."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        super().__init__(f"{len(plan.errors)} problems: nothing was imported.")


@dataclass
class ImportResult:
    plan: ImportPlan
    written: bool
    seconds: float


def import_run(
    *,
    user: User,
    data: bytes,
    filename: str,
    kind: str = AUTO,
    program: str = "",
    dry_run: bool = False,
    expected_digest: str = "",
) -> ImportResult:
    """Read, check and (unless ``dry_run``) write an upload. Raises ``UploadError`` for a file
    that cannot be read, ``ImportRefused`` when a row is refused (nothing written), and
    ``ImportRefused`` too when ``expected_digest`` no longer matches what the plan would do."""
    started = time.monotonic()
    sheets = read_upload(data=data, filename=filename, kind=kind, program=program)
    today = timezone.localdate()
    if dry_run:
        plan = import_plan(user=user, sheets=sheets, today=today)
        return ImportResult(plan=plan, written=False, seconds=time.monotonic() - started)
    with transaction.atomic():
        plan = import_plan(user=user, sheets=sheets, today=today)
        if not plan.valid:
            raise ImportRefused(plan)
        if expected_digest and plan.digest() != expected_digest:
            plan.file_errors.append(
                CellError(
                    "",
                    0,
                    "",
                    "Pulse's records changed since the preview: check the "
                    "new preview and confirm again.",
                )  # fmt: skip
            )
            raise ImportRefused(plan)
        with program_changes_unannounced():
            touched = _apply(plan=plan, user=user)
        # One announcement for every program the file touched, after the commit.
        notify_program_changed(*touched)
    seconds = time.monotonic() - started
    logger.info(
        "Import by %s: %s rows of %s in %.1f s (%s)",
        user.username, len(plan.rows), filename, seconds, plan.counts(),
    )  # fmt: skip
    return ImportResult(plan=plan, written=True, seconds=seconds)


def _refuse(plan: ImportPlan, row: RowPlan, error: Exception) -> ImportRefused:
    """A service refused a row the checks passed (a rule only the database knows)."""
    if not isinstance(error, ValidationError):
        row.refuse("", str(error))
    elif hasattr(error, "message_dict"):
        for column, messages in error.message_dict.items():
            row.refuse("" if column == "__all__" else column, " ".join(messages))
    else:
        row.refuse("", " ".join(error.messages))
    return ImportRefused(plan)


def _apply(*, plan: ImportPlan, user: User) -> set[int]:
    """Write every row through the services (inside the caller's transaction); the ids of
    the programs written."""
    new_programs: dict[str, Program] = {}
    by_key: dict[str, Milestone] = {}
    touched: set[int] = set()
    ordered = [
        *(r for r in plan.rows if r.kind == PROGRAMS),
        *_in_dependency_order([r for r in plan.rows if r.kind == MILESTONES]),
        *(r for r in plan.rows if r.kind == RISKS),
    ]
    for row in ordered:
        if row.action not in (CREATE, UPDATE):
            if row.kind == MILESTONES and row.key and row.target is not None:
                by_key[row.key] = row.target
            continue
        try:
            written = _write(row, user=user, new_programs=new_programs, by_key=by_key)
        except (ValidationError, StaleWriteError) as error:
            raise _refuse(plan, row, error) from error
        touched.add(written.pk if isinstance(written, Program) else written.program_id)
    return touched


def _in_dependency_order(rows: list[RowPlan]) -> list[RowPlan]:
    """Milestones after those of the file they depend on (the plan refused cycles)."""
    by_key = {row.key: row for row in rows if row.key}
    done: set[int] = set()
    ordered: list[RowPlan] = []

    def place(row: RowPlan) -> None:
        if id(row) in done:
            return
        done.add(id(row))
        for key in row.depends_on_keys:
            place(by_key[key])
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def _program_of(row: RowPlan, new_programs: dict[str, Program]) -> Program:
    ref = row.program_ref
    return ref if isinstance(ref, Program) else new_programs[ref]


def _write(
    row: RowPlan, *, user: User, new_programs: dict[str, Program], by_key: dict[str, Milestone]
) -> Any:
    data = dict(row.data)
    if row.kind == PROGRAMS:
        if row.action == CREATE:
            program = services.program_create(user=user, **data)
            new_programs[program.name.lower()] = program
            return program
        return services.program_update(
            program=row.target, user=user, version=row.target.version, **data
        )
    if row.kind == MILESTONES:
        existing = data.pop("depends_on_existing", [])
        set_dependencies = data.pop("set_dependencies", False)
        depends_on = [*existing, *(by_key[key] for key in row.depends_on_keys)]
        if row.action == CREATE:
            milestone = services.milestone_create(
                program=_program_of(row, new_programs), user=user, depends_on=depends_on, **data
            )
        else:
            milestone = _milestone_update(
                row.target, user=user, data=data,
                depends_on=depends_on if set_dependencies else None,
            )  # fmt: skip
        if row.key:
            by_key[row.key] = milestone
        return milestone
    if row.action == CREATE:
        return services.risk_create(program=_program_of(row, new_programs), user=user, **data)
    return services.risk_update(risk=row.target, user=user, version=row.target.version, **data)


def _milestone_update(
    milestone: Milestone, *, user: User, data: dict[str, Any], depends_on: list | None
) -> Milestone:
    """Details, then the date (through the slip ledger, with the row's reason), then done."""
    target_date = data.pop("target_date", None)
    reason = data.pop("move_reason", "")
    completed_date = data.pop("completed_date", None)
    finishing = data.get("state") == "done"
    if finishing:
        data.pop("state")
    if data or depends_on is not None:
        milestone = services.milestone_update(
            milestone=milestone, user=user, version=None, depends_on=depends_on, **data
        )
    if target_date is not None:
        milestone = services.milestone_move(
            milestone=milestone, user=user, version=None, target_date=target_date,
            category=MoveCategory.OTHER, reason=reason,
        )  # fmt: skip
    if finishing:
        milestone = services.milestone_complete(
            milestone=milestone, user=user, version=None, completed_date=completed_date
        )
    return milestone


# --- Between the preview and the confirmation ------------------------------------------------

# An upload waits a day for its confirmation at most; older ones are removed.
STASH_HOURS = 24


def stash_root() -> Path:
    """Where uploads wait (``IMPORT_ROOT``; ``var/imports`` by default): like the exports, a
    directory every web process reads (shared storage when there are several machines)."""
    default = Path(settings.BASE_DIR) / "var" / "imports"
    return Path(getattr(settings, "IMPORT_ROOT", default))


def stash_upload(*, user: User, data: bytes, filename: str, kind: str, program: str) -> str:
    """Keep an upload for its confirmation; the token that finds it again (only for ``user``)."""
    root = stash_root()
    root.mkdir(parents=True, exist_ok=True)
    _sweep(root)
    token = secrets.token_urlsafe(24)
    (root / f"{token}.upload").write_bytes(data)
    meta = {
        "user": user.pk, "filename": filename[:200], "kind": kind, "program": program[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
    }  # fmt: skip
    (root / f"{token}.json").write_text(json.dumps(meta))
    return token


def unstash_upload(*, user: User, token: str) -> tuple[bytes, dict[str, str]] | None:
    """The upload ``token`` names, if it is ``user``'s, intact and not expired."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    root = stash_root()
    try:
        meta = json.loads((root / f"{token}.json").read_text())
        data = (root / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user") != user.pk or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        return None
    return data, meta


def discard_upload(token: str) -> None:
    root = stash_root()
    for suffix in (".upload", ".json"):
        (root / f"{token}{suffix}").unlink(missing_ok=True)


def _sweep(root: Path) -> None:
    limit = time.time() - datetime.timedelta(hours=STASH_HOURS).total_seconds()
    for path in root.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


__all__ = ["ImportRefused", "ImportResult", "UploadError", "import_run"]
