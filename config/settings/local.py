"""The embedded default: SQLite and eager Celery unless DATABASE_URL / REDIS_URL say otherwise.

Development e-mail is one log line per message (not its whole MIME text) unless ``EMAIL_URL``
names a mail server, or ``VERBOSE=1`` asks for the console backend's whole messages.
``make run`` also sets ``LOG_LEVEL=WARNING`` unless ``VERBOSE=1``: see the Makefile.
"""

import copy
import logging

from django.core.mail.backends.base import BaseEmailBackend

from .base import *  # noqa: F403
from .base import LOGGING as BASE_LOGGING
from .base import REDIS_URL, env

LOGGING = copy.deepcopy(BASE_LOGGING)  # changed below; the base's stays as it is

DEBUG = env.bool("DEBUG", default=True)
VERBOSE = env.bool("VERBOSE", default=False)


class OneLineEmailBackend(BaseEmailBackend):
    """Development e-mail: one log line per message (recipients and subject), on the
    ``pulse.mail`` logger at INFO, instead of the console backend's whole MIME text."""

    def send_messages(self, email_messages) -> int:
        logger = logging.getLogger("pulse.mail")
        for message in email_messages:
            logger.info("E-mail to %s: %s", ", ".join(message.recipients()), message.subject)
        return len(email_messages)


if not VERBOSE and "EMAIL_URL" not in env.ENVIRON:  # a configured server is used as is
    MAILERS = {"default": {"BACKEND": f"{__name__}.OneLineEmailBackend", "OPTIONS": {}}}
if not REDIS_URL:
    # Eager Celery on the in-memory broker: kombu warns that "memory://" names no host.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}
if env("LOG_LEVEL", default="INFO").upper() != "INFO":
    # Django's own loggers keep INFO otherwise (runserver's reloader and request lines):
    # a quieter LOG_LEVEL (make run sets WARNING) applies to them too.
    for _name in ("django", "django.server"):
        LOGGING["loggers"][_name] = {
            "handlers": ["console"],
            "level": env("LOG_LEVEL").upper(),
            "propagate": False,
        }
