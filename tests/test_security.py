"""Login throttling, cookies and headers behind a TLS proxy, and the Content-Security-Policy."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from tests.conftest import make_task, make_video

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(client: Client, password: str, **headers: str) -> object:
    return client.post("/login", {"username": "alice", "password": password}, **headers)


def test_twenty_wrong_passwords_lock_the_account_even_for_the_right_one(user: object, settings: object) -> None:
    client = Client()
    answers = [sign_in(client, f"guess {n}").status_code for n in range(20)]
    assert answers[0] == 200  # the form again, with its error
    assert 429 in answers
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins: after 5 wrong passwords, signing in as “alice” is locked for 15 minutes." in page
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_then_the_right_one_signs_in(user: object) -> None:
    client = Client()
    for n in range(3):
        assert sign_in(client, f"guess {n}").status_code == 200
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)  # type: ignore[attr-defined]


def test_the_lockout_holds_for_the_admin_login_too(user: object) -> None:
    client = Client()
    for n in range(6):
        client.post("/admin/login/", {"username": "alice", "password": f"guess {n}"})
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429


def test_a_lockout_behind_a_proxy_is_per_client_address(user: object, settings: object) -> None:
    settings.BEHIND_TLS_PROXY = True
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
    for n in range(6):
        sign_in(attacker, f"guess {n}", secure=True)
    assert sign_in(attacker, PASSWORD, secure=True).status_code == 429
    # The proxy appends the real client: a made-up first entry changes nothing for the attacker,
    # and alice, from her own address, still signs in.
    spoofing = Client(HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
    assert sign_in(spoofing, PASSWORD, secure=True).status_code == 429
    alice = Client(HTTP_X_FORWARDED_FOR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https")
    assert sign_in(alice, PASSWORD, secure=True).status_code == 302


def reloaded_settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> object:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    import portal.settings

    return importlib.reload(portal.settings)


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import portal.settings

    yield lambda **environment: reloaded_settings(monkeypatch, **environment)
    monkeypatch.undo()
    importlib.reload(portal.settings)


def test_behind_a_tls_proxy_cookies_are_secure_and_hsts_is_on(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    # bin/serve exports SECURE_COOKIES=false for plain http on localhost: the proxy wins.
    module = fresh_settings(BEHIND_TLS_PROXY="true", SECURE_COOKIES="false")
    assert module.SESSION_COOKIE_SECURE and module.CSRF_COOKIE_SECURE
    assert module.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert module.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    module = fresh_settings(BEHIND_TLS_PROXY="true", HSTS_SECONDS="600", HSTS_INCLUDE_SUBDOMAINS="true")
    assert (module.SECURE_HSTS_SECONDS, module.SECURE_HSTS_INCLUDE_SUBDOMAINS) == (600, True)
    module = fresh_settings(BEHIND_TLS_PROXY="false", SECURE_COOKIES="false")
    assert not module.SESSION_COOKIE_SECURE and module.SECURE_HSTS_SECONDS == 0


def test_the_lockout_settings_come_from_the_environment(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.core.exceptions import ImproperlyConfigured

    module = fresh_settings(
        LOGIN_FAILURE_LIMIT="10", LOGIN_LOCKOUT_MINUTES="60", LOGIN_LOCKOUT_BY="username, ip_address"
    )
    assert module.AXES_FAILURE_LIMIT == 10
    assert module.AXES_COOLOFF_TIME == timedelta(hours=1)
    assert module.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    with pytest.raises(ImproperlyConfigured, match="LOGIN_LOCKOUT_BY: 'password' is not one of"):
        fresh_settings(LOGIN_LOCKOUT_BY="password")


def test_https_answers_carry_hsts_and_secure_cookies(user: object, settings: object) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    response = client.get("/login")
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies["csrftoken"]["secure"]
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]


@pytest.mark.parametrize("path", ["/login", "/", "/videos", "/admin/"])
def test_every_page_sends_a_content_security_policy(admin_client: Client, path: str) -> None:
    policy = admin_client.get(path)["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_scripts_or_styles(admin_client: Client, admin_user: object) -> None:
    from aitasks.models import Status, VideoStatus

    make_task(admin_user, url="http://a.io/x.mp4", status=Status.STARTED, progress=40)
    done = make_task(admin_user, url="http://a.io/y.mp4", status=Status.SUCCESS, result={})
    video = make_video(admin_user, name="Keynote", status=VideoStatus.READY)
    for path in ["/login", "/", "/videos", f"/tasks/{done.pk}", f"/videos/{video.pk}"]:
        page = admin_client.get(path).content.decode()
        assert "style=" not in page, path
        assert "<script>" not in page and "<style" not in page, path
