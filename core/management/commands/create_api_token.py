"""manage.py create_api_token USERNAME [--name NAME] [--days N]: a named API token for a
person, printed once (only its hash is stored)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a named API token for a person and print it (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument("--days", type=int, default=90, help="lifetime, 1 to 365 days")

    def handle(self, *args, username: str, name: str, days: int, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person with username {username!r}.")
        try:
            token, secret = api_token_create(user=user, name=name, lifetime_days=days)
        except DomainError as error:
            raise CommandError(
                "; ".join(m for ms in error.message_dict.values() for m in ms)
            ) from None
        self.stdout.write(secret)
        self.stderr.write(f"Token {token.name!r} for {username}, expires {token.expiry:%Y-%m-%d}.")
