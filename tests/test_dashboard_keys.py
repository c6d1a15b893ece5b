"""The dashboard's API keys page: a user's own keys, shown once, revocable."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from aitasks.models import ApiKey

pytestmark = pytest.mark.django_db


def new_key(html: str) -> str:
    return re.search(r'<code id="new-key">(ait_[^<]+)</code>', html).group(1)  # type: ignore[union-attr]


def test_a_user_creates_a_key_that_works_and_is_shown_once(editor: Client, user: object) -> None:
    response = editor.post("/keys", {"name": "CMS import"})
    key = new_key(response.content.decode())
    assert response.status_code == 200 and "not shown again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not any(key in morsel.value for morsel in response.cookies.values())  # not in a cookie
    assert key not in str(dict(editor.session))  # nor in the session
    stored = ApiKey.objects.get(user=user)
    assert stored.name == "CMS import" and key not in (stored.key_hash, stored.prefix)
    assert Client(HTTP_AUTHORIZATION=f"APIKey {key}").get("/streaming/ai/tasks").status_code == 200
    later = editor.get("/keys").content.decode()
    assert key not in later and stored.prefix in later and "CMS import" in later


def test_a_user_revokes_their_own_key(editor: Client, user: object) -> None:
    api_key, key = ApiKey.issue(user)
    assert editor.post(f"/keys/{api_key.pk}/revoke")["Location"] == "/keys"
    assert Client(HTTP_AUTHORIZATION=f"APIKey {key}").get("/streaming/ai/tasks").status_code == 401
    assert "Revoked" in editor.get("/keys").content.decode()


def test_other_users_keys_are_neither_listed_nor_revocable(editor: Client, other_user: object) -> None:
    api_key, key = ApiKey.issue(other_user, name="mallory's")
    assert "mallory" not in editor.get("/keys").content.decode()
    assert editor.post(f"/keys/{api_key.pk}/revoke").status_code == 404
    assert editor.get(f"/keys/{api_key.pk}/revoke").status_code == 405
    assert ApiKey.authenticate(key) is not None


def test_the_keys_page_needs_a_login_and_csrf(user: object) -> None:
    assert Client().get("/keys")["Location"].startswith("/login?next=")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/keys", {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()
