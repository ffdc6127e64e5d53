"""Rows built once for a class of tests that only read them.

``with rolled_back_rows(django_db_blocker): build(); yield`` in a class-scoped fixture writes
the rows in a transaction left open while the class runs; each test runs in a savepoint inside
it (pytest-django's ``db``), and the whole transaction is rolled back when the class is done.
Only for tests that do not write: a test that writes would still be rolled back, but the
next test of the class would read the same rows either way, so a written row would be a
hidden dependency between tests. Not for transactional tests (they flush the tables).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back_rows(django_db_blocker) -> Iterator[None]:
    from tests.conftest import restore_migration_data_if_flushed

    with django_db_blocker.unblock():
        with transaction.atomic():
            # Built before any test's own fixtures run: a transactional test just before, on
            # this worker, may have flushed the migrations' roles and checklists.
            restore_migration_data_if_flushed()
            try:
                yield
            finally:
                transaction.set_rollback(True)
