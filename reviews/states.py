"""The legal state changes of launch reviews and capacity requests: one table each.

Services ask ``check_transition(table, action, current_state)`` for the target state; an
action the table does not allow from the current state is refused with ``IllegalTransition``,
whose message says what the action needs and where the object is. No service decides a state
change with its own ``if``.
"""

from dataclasses import dataclass

from core.errors import DomainError
from reviews.models import CapacityRequestState as CR
from reviews.models import LaunchReviewState as LR


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    label: str  # what the action is called on buttons and in messages


class IllegalTransition(DomainError):
    """The action is not allowed from the object's current state (HTTP 400)."""


def _t(sources, target, label) -> Transition:
    return Transition(frozenset(sources), target, label)


LAUNCH_REVIEW_TRANSITIONS: dict[str, Transition] = {
    "submit": _t({LR.DRAFT}, LR.SUBMITTED, "Submit for review"),
    "start_review": _t({LR.SUBMITTED}, LR.IN_REVIEW, "Start review"),
    # Reached through sign-offs: every area with required items approved ...
    "approve": _t({LR.SUBMITTED, LR.IN_REVIEW}, LR.APPROVED, "Approve"),
    # ... or any area sent back.
    "request_changes": _t({LR.SUBMITTED, LR.IN_REVIEW}, LR.CHANGES_REQUESTED, "Request changes"),
    "resubmit": _t({LR.CHANGES_REQUESTED}, LR.SUBMITTED, "Resubmit"),
    "launch": _t({LR.APPROVED}, LR.LAUNCHED, "Mark as launched"),
    "withdraw": _t(
        {LR.DRAFT, LR.SUBMITTED, LR.IN_REVIEW, LR.CHANGES_REQUESTED, LR.APPROVED},
        LR.WITHDRAWN,
        "Withdraw",
    ),
}

CAPACITY_REQUEST_TRANSITIONS: dict[str, Transition] = {
    "submit": _t({CR.DRAFT}, CR.SUBMITTED, "Submit"),
    "approve": _t({CR.SUBMITTED}, CR.APPROVED, "Approve"),
    "partially_approve": _t({CR.SUBMITTED}, CR.PARTIALLY_APPROVED, "Approve part"),
    "deny": _t({CR.SUBMITTED}, CR.DENIED, "Deny"),
    "fulfill": _t({CR.APPROVED, CR.PARTIALLY_APPROVED}, CR.FULFILLED, "Mark as fulfilled"),
}


def check_transition(table: dict[str, Transition], action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``; ``IllegalTransition`` if not allowed."""
    transition = table.get(action)
    if transition is None:
        raise IllegalTransition(f"“{action}” is not an action here.")
    if state not in transition.sources:
        allowed = ", ".join(sorted(s.replace("_", " ") for s in transition.sources))
        raise IllegalTransition(
            f"Cannot {transition.label.lower()}: it is {state.replace('_', ' ')}; "
            f"this is possible only when it is {allowed}."
        )
    return transition.target


def available_actions(table: dict[str, Transition], state: str) -> list[str]:
    """The actions the table allows from ``state`` (permission is the caller's business)."""
    return [action for action, transition in table.items() if state in transition.sources]
