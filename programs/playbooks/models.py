"""Playbooks: the organisation's process documents, owned, reviewed on a date, and versioned.

A ``Playbook`` holds what describes the document (title, summary, owners, the workflow it
governs, when it is next reviewed) and points at its current ``PlaybookVersion``; the
versions themselves are immutable: publishing writes a new one (number 1, 2, …) with the
whole Markdown body, who wrote it, why, and when it came into force. A record made by a
workflow (a launch review, a capacity request…) links the version in force at its
``created_at``, so a later version never rewrites the guidance it was made under.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import SHORT_TEXT, BoundedTextField, TimeStampedModel, VersionedModel

User = settings.AUTH_USER_MODEL

# A playbook is a long document: room for a process with its examples and tables.
PLAYBOOK_BODY_LIMIT = 60_000


class GovernedWorkflow(models.TextChoices):
    """The workflows a playbook can govern: each links its one playbook."""

    LAUNCH_REVIEW = "launch_review", "Launch reviews"
    CAPACITY = "capacity", "Capacity requests"
    OPS_REVIEW = "ops_review", "Operational reviews"
    STATUS_UPDATE = "status_update", "Status updates"
    INCIDENT_HANDOFF = "incident_handoff", "Incident-to-program handoff"


class Playbook(VersionedModel):
    """One process document. ``version`` (from ``VersionedModel``) guards edits of this row,
    metadata and publishing alike; the document's own versions are ``PlaybookVersion.number``."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = BoundedTextField(
        max_length=SHORT_TEXT, blank=True, help_text="One or two sentences: what it is for."
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="owned_playbooks",
        help_text="They publish versions and review it.",
    )
    governs = models.CharField(
        max_length=20,
        choices=GovernedWorkflow,
        blank=True,
        default="",
        help_text="The workflow whose pages link to it (at most one playbook each).",
    )
    review_by = models.DateField(help_text="When its owners next confirm it is still right.")
    current_version = models.ForeignKey(
        "PlaybookVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "current_version"])

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["governs"],
                condition=~Q(governs=""),
                name="playbook_one_per_workflow",
                violation_error_message="Another playbook already governs this workflow.",
            ),
        ]
        indexes = [models.Index(fields=["review_by"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("playbooks:detail", kwargs={"slug": self.slug})


class PlaybookVersion(TimeStampedModel):
    """One published text of a playbook; never changed once written (a new one is published).

    The body is kept whole on each row, so the current text of every playbook is one join away
    (``Playbook.current_version``) for lists and search.
    """

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = BoundedTextField(max_length=PLAYBOOK_BODY_LIMIT, help_text="Markdown.")
    change_note = BoundedTextField(
        max_length=SHORT_TEXT, blank=True, help_text="What changed and why."
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="playbook_versions")
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["playbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_once"),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="playbook_version_number_positive"
            ),
        ]
        indexes = [models.Index(fields=["playbook", "published_at"])]

    def __str__(self) -> str:
        return f"{self.playbook} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "playbooks:version", kwargs={"slug": self.playbook.slug, "number": self.number}
        )
