"""Side-by-side line diffs of two texts (plan sections, playbooks): what a reader compares
when asking "what changed between version 3 and 5?".

``side_by_side`` pairs the lines of the old and the new text with ``difflib``: equal lines
side by side, removed lines on the left only, added ones on the right only, changed runs
paired line by line. ``templates/components/diff.html`` draws the rows.
"""

import difflib
from dataclasses import dataclass
from typing import Literal

Kind = Literal["equal", "removed", "added", "changed"]


@dataclass(frozen=True)
class DiffRow:
    kind: Kind
    old_number: int | None  # 1-based line numbers; None where the side has no line
    old: str | None
    new_number: int | None
    new: str | None


@dataclass(frozen=True)
class Diff:
    rows: list[DiffRow]

    @property
    def changed(self) -> bool:
        return any(row.kind != "equal" for row in self.rows)

    @property
    def added(self) -> int:
        return sum(row.new is not None and row.kind in ("added", "changed") for row in self.rows)

    @property
    def removed(self) -> int:
        return sum(row.old is not None and row.kind in ("removed", "changed") for row in self.rows)


def side_by_side(old: str, new: str) -> Diff:
    """The two texts' lines paired for a two-column view (line endings normalised)."""
    a, b = _lines(old), _lines(new)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("equal", i + 1, a[i], j + 1, b[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
        elif tag == "delete":
            rows.extend(DiffRow("removed", i + 1, a[i], None, None) for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(DiffRow("added", None, None, j + 1, b[j]) for j in range(j1, j2))
        else:  # replace: pair the runs line by line; the longer one's rest stands alone
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                rows.append(
                    DiffRow(
                        "changed",
                        i + 1 if i < i2 else None,
                        a[i] if i < i2 else None,
                        j + 1 if j < j2 else None,
                        b[j] if j < j2 else None,
                    )
                )
    return Diff(rows)


def _lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if text else []
