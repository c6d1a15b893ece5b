"""Creating API keys: the management command operators script, and Django admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aitasks.models import ApiKey

pytestmark = pytest.mark.django_db


def create_key(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_command_prints_a_working_key_alone_on_the_last_line(user: object) -> None:
    key = create_key("alice").splitlines()[-1]
    assert key.startswith("ait_") and " " not in key
    assert Client(HTTP_AUTHORIZATION=f"APIKey {key}").get("/streaming/ai/tasks").status_code == 200
    assert ApiKey.objects.get(user=user).key_hash != key


def test_the_command_creates_the_user_when_asked(django_user_model: object) -> None:
    key = create_key("newbie", "--create-user", "--name", "ci").splitlines()[-1]
    api_key = ApiKey.authenticate(key)
    assert api_key is not None
    assert (api_key.user.username, api_key.name) == ("newbie", "ci")
    assert not api_key.user.has_usable_password()


def test_the_command_refuses_an_unknown_user_without_create_user() -> None:
    with pytest.raises(CommandError, match="--create-user"):
        create_key("nobody")


def test_admin_shows_a_new_key_once_and_stores_only_its_hash(admin_client: Client, user: object) -> None:
    response = admin_client.post(
        "/admin/aitasks/apikey/add/", {"user": user.pk, "name": "editor laptop", "revoked_at_0": "", "revoked_at_1": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = page.split('<code id="new-api-key">')[1].split("</code>")[0]
    api_key = ApiKey.objects.get(user=user)
    assert api_key.name == "editor laptop"
    assert ApiKey.authenticate(key) == api_key
    assert "not stored, and this page is the only time it is shown" in page
    page = admin_client.get(f"/admin/aitasks/apikey/{api_key.pk}/change/").content.decode()
    assert key not in page


def test_a_new_key_never_travels_in_a_cookie(admin_client: Client, user: object) -> None:
    set_cookies: list[str] = []
    response = admin_client.post(
        "/admin/aitasks/apikey/add/", {"user": user.pk, "name": "ci", "revoked_at_0": "", "revoked_at_1": ""}
    )
    set_cookies += [morsel.OutputString() for morsel in response.cookies.values()]
    key = response.content.decode().split('<code id="new-api-key">')[1].split("</code>")[0]
    # The pages after it (where a message in a cookie would be shown and cleared).
    for path in ["/admin/aitasks/apikey/", "/admin/", "/"]:
        set_cookies += [morsel.OutputString() for morsel in admin_client.get(path).cookies.values()]
    assert key and ApiKey.authenticate(key) is not None
    assert not any(key in cookie or key[:12] in cookie for cookie in set_cookies), set_cookies
    assert not any(key in morsel.value for morsel in admin_client.cookies.values())
    # Nor is it kept server-side for later: the session holds no trace of it.
    from django.contrib.sessions.models import Session

    assert not any(key in str(session.get_decoded()) for session in Session.objects.all())


def test_admin_lists_tasks_read_only(admin_client: Client) -> None:
    assert admin_client.get("/admin/aitasks/task/").status_code == 200
    assert admin_client.get("/admin/aitasks/task/add/").status_code == 403
