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
- the **data generation**: a random token kept in the cache itself.

Invalidation: after the commit of any write to a model of the apps the insights read
(``programs``, ``reviews``, ``metrics``, and users and groups in ``auth``) the generation is
replaced by a new token (``post_save``, ``post_delete`` and ``m2m_changed``, connected in
``MetricsConfig.ready`` for every process: web, Celery, management commands). Every key built
afterwards names the new generation, so the next read computes the numbers afresh: a write is
seen at once, and old entries simply expire. The token is replaced *after* the commit, so a
read racing the write can only store the old numbers under the old generation, which no later
read asks for. A sign-in (``last_login`` only) replaces nothing.

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
from metrics.insights.selectors import InsightsFilters

GENERATION_KEY = "insights:generation"
# The apps whose rows the insights count (programs, reviews, snapshots; reviewers' names).
WATCHED_APPS = frozenset({"programs", "reviews", "metrics", "auth"})
DEFAULT_SECONDS = 300  # 5 minutes: how late a change that no signal announces can show


def cache_seconds() -> int:
    """How long an entry lives; 0 when the cache is off (explicitly, or not shared)."""
    configured = getattr(settings, "INSIGHTS_CACHE_SECONDS", None)
    if configured is not None:
        return int(configured)
    return 0 if isinstance(caches["default"], LocMemCache) else DEFAULT_SECONDS


def generation() -> str:
    """The current data generation (a new one when the cache has none)."""
    token = uuid.uuid4().hex
    if cache.add(GENERATION_KEY, token, timeout=None):
        return token
    return cache.get(GENERATION_KEY) or token


def bump() -> None:
    """A write committed: every key built from now on names a new generation."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def bump_on_commit() -> None:
    """``bump`` once the transaction commits (at once outside one; never if it rolls back)."""
    transaction.on_commit(bump, robust=True)


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
    """``selector(user=…, filters=…, now=…)``, from the cache while no write has happened since
    it was computed for the same scope and filters. ``generation_token`` lets a page reading
    several sections look the generation up once."""
    seconds = cache_seconds()
    if seconds <= 0:
        return selector(user=user, filters=filters, now=now)
    key = cache_key(
        slug=slug, selector=selector, user=user, filters=filters, now=now,
        generation_token=generation_token or generation(),
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
    bump_on_commit()


def connect() -> None:
    """Replace the generation after every write to a watched app (``MetricsConfig.ready``)."""
    for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(_on_write, dispatch_uid=f"metrics.insights.cache.{name}")
