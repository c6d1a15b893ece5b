from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aitasks.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for a user and print it alone on the last line (it is not shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--create-user", action="store_true", help="create the user if it does not exist")
        parser.add_argument("--name", default="", help="a label for the key, e.g. the client that uses it")

    def handle(self, *args: Any, username: str, create_user: bool, name: str, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create_user:
                raise CommandError(f"no user {username!r}: pass --create-user to create one")
            user = User.objects.create_user(username=username)  # no password: API access only
            self.stderr.write(f"created user {username!r} (no password: set one to use the dashboard)")
        _api_key, key = ApiKey.issue(user, name=name)
        self.stderr.write(f"API key for {username!r}; use it as 'Authorization: APIKey <key>'. It is not stored:")
        self.stdout.write(key)
