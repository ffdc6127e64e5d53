"""Each insights section's numbers, kept in the Django cache until a write could change them.

The overview runs all five selectors, each a few aggregates over a year of reviews and
milestones (tens to hundreds of milliseconds at 10,000 programs); a page and its endpoint run
one. ``section_data`` keeps a selector's result in the cache under a key made of:

- the section's slug and the filters (quarter, portfolio, team);
- the reader's visibility scope: ``all`` for those who see every program (leadership, admins:
  one entry shared by all of them), otherwise the user's id (what a TPM sees depends on their
  memberships and the programs they run);
- today's date (the selectors read ``now``), and a fingerprint of the selector modules' source
  (a deployment that changes a section's numbers or its dataclass reads none of the old entries);
- the section's **data generation**: a random token kept in the cache itself, one per section.

Invalidation: after the commit of a write to a model of the apps the insights read
(``programs``, ``reviews``, ``metrics``, and users and groups in ``auth``) the generations of
the sections that read that model are replaced by new tokens (``post_save``, ``post_delete``
and ``m2m_changed``, connected in ``MetricsConfig.ready`` for every process: web, Celery,
management commands). ``SECTIONS_READING`` says which sections read which model: a milestone
moved replaces delivery's and forecast accuracy's, a capacity request capacity's; a model it
does not list (programs, teams, portfolios, memberships, users: what scopes and names every
section) replaces them all, and a model no section reads (status updates, risks, the history
tables) none. Every key built afterwards names the new generation, so the next read computes
the numbers afresh: a write is seen at once, and old entries simply expire. The token is
replaced *after* the commit, so a read racing the write can only store the old numbers under
the old generation, which no later read asks for. A sign-in (``last_login`` only) replaces
nothing.

Warm-up: a replaced generation also queues ``metrics.tasks.insights_warm_up`` (coalesced: one
per ``WARM_UP_DELAY_SECONDS`` whatever the number of writes), which computes every section for
the readers who see every program, at the current quarter without filters (what leadership
opens), so the first read after a write usually finds its numbers ready.

What signals do not see, and the bounds on it:

- writes that bypass model signals (``QuerySet.update``, ``bulk_create``): every service that
  uses one also saves a row of these apps in the same transaction (a milestone move saves the
  milestone, a sign-off supersedes older ones while saving itself); the demo seeding and the
  health worker's bulk snapshot upsert do not, and show within ``INSIGHTS_CACHE_SECONDS``
  (default 300), every entry's lifetime;
- time alone: a sign-off that becomes overdue, a request that starts waiting too long, also
  within that lifetime (the date in the key turns the numbers over at midnight).

The cache is used only when it is shared by every process (Redis, as in production): with the
local-memory fallback, a write in one process could not replace the generation another process
reads, so there each request computes the numbers (``INSIGHTS_CACHE_SECONDS = 0`` turns the
cache off anywhere).
"""

import functools
import hashlib
import importlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from core.roles import sees_everything
from metrics.insights.sections import SECTIONS
from metrics.insights.selectors import InsightsFilters, current_quarter

logger = logging.getLogger(__name__)

GENERATION_KEY = "insights:generation:{}"
WARM_UP_PENDING_KEY = "insights:warm-up:pending"
WARM_UP_DELAY_SECONDS = 5  # writes in this window share one warm-up
# The apps whose rows the insights count (programs, reviews, snapshots; reviewers' names).
WATCHED_APPS = frozenset({"programs", "reviews", "metrics", "auth"})
DEFAULT_SECONDS = 300  # 5 minutes: how late a change that no signal announces can show
SLUGS = tuple(SECTIONS)

# Which sections read a model's rows ("app_label.modelname"). A model of a watched app that is
# not listed is read by every section (it scopes or names them: programs, teams, portfolios,
# memberships, users and groups); an empty set: no section reads it.
SECTIONS_READING: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("reviews.launchreview", "reviews.launchreviewitem", "reviews.signoff",
         "reviews.reviewcomment", "reviews.reviewer", "reviews.reviewerarea",
         "reviews.checklisttemplate", "reviews.checklistitem", "reviews.checklistareaguidance"),
        frozenset({"launch-reviews"}),
    ),
    **dict.fromkeys(
        ("reviews.capacityrequest", "reviews.capacitybudget", "reviews.autoapprovalthreshold"),
        frozenset({"capacity"}),
    ),
    **dict.fromkeys(
        ("reviews.operationalreview", "reviews.actionitem", "reviews.operationalreview_decisions",
         "programs.decision"),
        frozenset({"ops-reviews"}),
    ),
    **dict.fromkeys(
        ("programs.milestone", "programs.milestonedatechange", "programs.milestone_depends_on"),
        frozenset({"delivery", "forecast-accuracy"}),
    ),
    **dict.fromkeys(
        ("metrics.healthsnapshot", "metrics.forecasttuning"), frozenset({"forecast-accuracy"})
    ),
    **dict.fromkeys(
        ("programs.statusupdate", "programs.risk", "metrics.successmetric",
         "metrics.metricreading", "metrics.updatereminder", "metrics.weeklyreport",
         "metrics.reportsubscription", "metrics.analyticsexport", "metrics.healthpolicy",
         "reviews.idempotencyrecord"),
        frozenset(),
    ),
}  # fmt: skip


def cache_seconds() -> int:
    """How long an entry lives; 0 when the cache is off (explicitly, or not shared)."""
    configured = getattr(settings, "INSIGHTS_CACHE_SECONDS", None)
    if configured is not None:
        return int(configured)
    return 0 if isinstance(caches["default"], LocMemCache) else DEFAULT_SECONDS


def generations(slugs: tuple[str, ...] = SLUGS) -> dict[str, str]:
    """Each section's current data generation (one cache round trip; a new one where the cache
    has none)."""
    keys = {slug: GENERATION_KEY.format(slug) for slug in slugs}
    found = cache.get_many(list(keys.values()))
    tokens = {}
    for slug, key in keys.items():
        token = found.get(key)
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(key, token, timeout=None):
                token = cache.get(key) or token
        tokens[slug] = token
    return tokens


def generation(slug: str) -> str:
    return generations((slug,))[slug]


def bump(slugs: frozenset[str] | tuple[str, ...] = SLUGS) -> None:
    """A write committed: every key of these sections built from now on names a new
    generation; the warm-up is queued."""
    if not slugs:
        return
    cache.set_many({GENERATION_KEY.format(slug): uuid.uuid4().hex for slug in slugs}, timeout=None)
    schedule_warm_up()


def bump_on_commit(slugs: frozenset[str] | tuple[str, ...] = SLUGS) -> None:
    """``bump`` once the transaction commits (at once outside one; never if it rolls back)."""
    transaction.on_commit(lambda: bump(slugs), robust=True)


def sections_reading(label: str) -> frozenset[str]:
    """The sections whose numbers a write to the model ``label`` may change."""
    if label.split(".", 1)[-1].startswith("historical"):
        return frozenset()  # the history row of a write that announced itself
    return SECTIONS_READING.get(label, frozenset(SLUGS))


def schedule_warm_up() -> None:
    """Queue one warm-up for the writes of the next few seconds. Best effort: without a
    broker the first read computes the numbers, as without the warm-up."""
    from metrics.tasks import insights_warm_up  # tasks import this module

    try:
        if cache.add(WARM_UP_PENDING_KEY, 1, timeout=WARM_UP_DELAY_SECONDS * 12):
            insights_warm_up.apply_async(countdown=WARM_UP_DELAY_SECONDS, retry=False)
    except Exception:  # redis, kombu and socket errors alike: the write is committed anyway
        logger.warning("insights warm-up not queued", exc_info=True)


def warm_up(*, now: Any = None) -> list[str]:
    """Compute every section for the readers who see every program, at the current quarter
    without filters, unless its numbers are in the cache already. Returns the slugs computed."""
    from django.contrib.auth import get_user_model

    cache.delete(WARM_UP_PENDING_KEY)  # a write from now on queues another
    if cache_seconds() <= 0:
        return []
    now = now or timezone.now()
    everyone = get_user_model()(username="insights-warm-up", is_superuser=True)  # never saved
    filters = InsightsFilters(quarter=current_quarter(timezone.localdate(now)))
    tokens = generations()
    computed = []
    for slug, section in SECTIONS.items():
        key = cache_key(slug=slug, selector=section.selector, user=everyone, filters=filters,
                        now=now, generation_token=tokens[slug])  # fmt: skip
        if cache.get(key) is None:
            cache.set(key, section.selector(user=everyone, filters=filters, now=now),
                      timeout=cache_seconds())  # fmt: skip
            computed.append(slug)
    return computed


@functools.cache
def _fingerprint(modules: tuple[str, ...]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for name in modules:
        file = getattr(importlib.import_module(name), "__file__", None)
        if file:
            digest.update(Path(file).read_bytes())
    return digest.hexdigest()[:12]


def scope_of(user: Any) -> str:
    """Whose view of the programs a result is: everyone who sees every program shares one."""
    return "all" if sees_everything(user) else f"user-{user.pk}"


def cache_key(*, slug: str, selector: Callable[..., Any], user: Any, filters: InsightsFilters,
              now: Any, generation_token: str) -> str:  # fmt: skip
    modules = (selector.__module__, __name__, "metrics.insights.selectors")
    parts = (
        "insights", slug, str(filters.quarter), filters.portfolio, filters.team, scope_of(user),
        timezone.localdate(now).isoformat(), _fingerprint(modules), generation_token,
    )  # fmt: skip
    return ":".join(parts)


def section_data(*, slug: str, selector: Callable[..., Any], user: Any,
                 filters: InsightsFilters, now: Any, generation_token: str | None = None) -> Any:  # fmt: skip
    """``selector(user=…, filters=…, now=…)``, from the cache while no write to what it reads
    has happened since it was computed for the same scope and filters. ``generation_token``
    lets a page reading several sections look their generations up at once."""
    seconds = cache_seconds()
    if seconds <= 0:
        return selector(user=user, filters=filters, now=now)
    key = cache_key(
        slug=slug, selector=selector, user=user, filters=filters, now=now,
        generation_token=generation_token or generation(slug),
    )  # fmt: skip
    found = cache.get(key)
    if found is not None:
        return found
    data = selector(user=user, filters=filters, now=now)
    cache.set(key, data, timeout=seconds)
    return data


def _on_write(sender: Any, **kwargs: Any) -> None:
    if cache_seconds() <= 0:
        return
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.app_label not in WATCHED_APPS:
        return
    fields = kwargs.get("update_fields")
    if fields is not None and set(fields) <= {"last_login"}:
        return  # a sign-in
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: once, after the change
    sections = sections_reading(meta.label_lower)
    if sections:
        bump_on_commit(sections)


def connect() -> None:
    """Replace the generation after every write to a watched app (``MetricsConfig.ready``)."""
    for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(_on_write, dispatch_uid=f"metrics.insights.cache.{name}")
