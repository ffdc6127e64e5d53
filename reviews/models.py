"""The models of the reviews app: one module per workflow, registered here.

Django finds an app's models in its ``models`` module; each workflow keeps its own in its
package (``reviews.launch.models``, ``reviews.capacity.models``, ``reviews.ops.models``) and
they are imported here, so ``from reviews.models import LaunchReview`` works everywhere and all
of them keep the one app label ``reviews`` (the tables and migrations are unchanged). What the
workflows share is defined here: the stored answers of idempotent API writes.
"""

from django.conf import settings
from django.db import models

from reviews.capacity.models import (
    AMOUNT,
    GRANTED_STATES,
    RESOURCE_UNITS,
    AutoApprovalThreshold,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ResourceKind,
    quarter_of,
    quarter_validator,
)
from reviews.launch.models import (
    EDITABLE_REVIEW_STATES,
    OPEN_REVIEW_STATES,
    REVIEWABLE_STATES,
    AnswerStatus,
    ChecklistAreaGuidance,
    ChecklistItem,
    ChecklistTemplate,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    LaunchTier,
    ReviewArea,
    ReviewComment,
    Reviewer,
    ReviewerArea,
    SignOff,
    SignOffDecision,
)
from reviews.ops.models import (
    ActionItem,
    ActionItemState,
    OperationalReview,
    OperationalReviewState,
)

User = settings.AUTH_USER_MODEL

__all__ = [
    "AMOUNT",
    "EDITABLE_REVIEW_STATES",
    "GRANTED_STATES",
    "OPEN_REVIEW_STATES",
    "RESOURCE_UNITS",
    "REVIEWABLE_STATES",
    "ActionItem",
    "ActionItemState",
    "AnswerStatus",
    "AutoApprovalThreshold",
    "CapacityBudget",
    "CapacityRequest",
    "CapacityRequestState",
    "ChecklistAreaGuidance",
    "ChecklistItem",
    "ChecklistTemplate",
    "IdempotencyRecord",
    "LaunchReview",
    "LaunchReviewItem",
    "LaunchReviewState",
    "LaunchTier",
    "OperationalReview",
    "OperationalReviewState",
    "ResourceKind",
    "ReviewArea",
    "ReviewComment",
    "Reviewer",
    "ReviewerArea",
    "SignOff",
    "SignOffDecision",
    "quarter_of",
    "quarter_validator",
]


# --- Idempotent API writes ------------------------------------------------------------------


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an ``Idempotency-Key`` header.

    The same key and body get this answer again instead of a second write; the same key
    with another body is refused.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=200, help_text="The endpoint the key was used on.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.scope})"
