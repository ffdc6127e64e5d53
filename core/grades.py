"""A program's health grade: the one definition of the grades, their order and their labels.

Pure Python (no Django): the health engine grades with it, and the models, forms, filters and
API take their choices from it (``Grade.choices``, the shape Django's choices take), so a grade
is named, ordered and labelled in this file only.
"""

from enum import EnumType, StrEnum


class _GradeType(EnumType):
    """Gives the enum Django's ``choices`` list without Django: ``[(value, label), ...]``."""

    @property
    def choices(cls) -> list[tuple[str, str]]:
        grades: list[Grade] = list(cls)
        return [(grade.value, grade.label) for grade in grades]


class Grade(StrEnum, metaclass=_GradeType):
    """Best first: the declaration order is the order of severity (see ``GRADE_RANK``)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return GRADE_RANK[self]


# How bad a grade is: green 0, yellow 1, red 2. Comparing ranks says whether a grade got worse.
GRADE_RANK: dict[str, int] = {grade: rank for rank, grade in enumerate(Grade)}


def is_worse(now: str, then: str) -> bool:
    """Whether grade ``now`` is worse than grade ``then`` (both stored values)."""
    return GRADE_RANK[now] > GRADE_RANK[then]
