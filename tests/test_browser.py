"""The dashboard in a real browser: Playwright driving Debian's chromium, against a live
server, with the worker running the queued tasks in the background as django-q2 would.

Every test that runs a task uses the real speech engine (faster-whisper, packaged Whisper base).
Screenshots land in screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from aitasks.models import Status, Task
from tests.conftest import make_task

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary blocking calls, which Django would otherwise refuse.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: object, live_server: object, user: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    # Anything the Content-Security-Policy blocks (an inline style, an eval in htmx) shows here.
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('AI tasks')")
    yield page
    context.close()
    assert refused == [], refused


def shoot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_an_editor_generates_subtitles_watches_them_finish_and_downloads_the_vtt(
    page: object, media_server: object, queue_worker: None
) -> None:
    page.fill("#id_url", media_server.url("english.mp4"))
    page.select_option("#id_audio_language", "eng")
    with page.expect_response(lambda response: "/tasks/new" in response.url):
        page.click("button:has-text('Generate task')")
    row = page.locator("#tasks-table tbody tr").first
    assert "english.mp4" in row.inner_text()
    # No reload: htmx polls the table until the task is final, then stops.
    page.wait_for_selector("#tasks-table tbody tr[data-status=SUCCESS]", timeout=90_000)
    assert "100%" in row.inner_text()
    assert page.locator("#tasks-table[hx-trigger]").count() == 0  # polling ended
    shoot(page, "tasks-page")

    page.click("#tasks-table tbody tr >> a.task-link")
    dialog = page.locator("#task-dialog")
    dialog.wait_for(state="visible")
    assert "/tasks/" in page.url  # the dialog has its own URL
    assert "lazy dog" in dialog.locator(".cues").inner_text().lower()
    assert dialog.locator("video track").count() == 1
    # The player loads the subtitles from the dashboard's own (logged-in) URL and shows them as
    # it plays (the test media server has no range requests, so play rather than seek).
    page.evaluate("(v => { v.muted = true; v.play(); })(document.querySelector('#task-dialog video'))")
    page.wait_for_function(
        "() => { const v = document.querySelector('#task-dialog video'); const cues = v.textTracks[0].activeCues;"
        " if (cues && cues.length === 1 && v.currentTime > 1.5) { v.pause(); return true; } return false; }"
    )
    assert "fox" in page.evaluate("document.querySelector('#task-dialog video').textTracks[0].activeCues[0].text")
    shoot(page, "task-dialog")
    dialog.locator("details.json summary").first.click()  # the Request
    assert '"task_name": "transcription"' in dialog.locator("details.json pre").first.inner_text()

    with page.expect_download() as download_info:
        dialog.locator("a:has-text('Download VTT')").click()
    download = download_info.value
    assert download.suggested_filename == "english.eng.vtt"
    content = Path(download.path()).read_text()
    assert content.startswith("WEBVTT\n\n1\n00:00:0") and "lazy dog" in content.lower()

    # The dialog's URL reloads as a page of its own.
    page.reload()
    assert "Task details" in page.locator("h2").first.inner_text()


def test_every_step_works_without_javascript(browser: object, live_server: object, user: object) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    shoot(page, "login")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("a.example-url")  # a plain link: the page comes back with the URL filled in
    assert page.input_value("#id_url").startswith("https://demo-files.gvideo.io/")
    page.select_option("#id_subtitles_language", "eng")
    page.click("button:has-text('Generate task')")
    page.wait_for_selector(".message:has-text('Task created')")
    row = page.locator("#tasks-table tbody tr").first
    assert "spritefright" in row.inner_text() and "Auto-detect → English" in row.inner_text()
    page.click("a.task-link")
    page.wait_for_selector("h2:has-text('Task details')")
    assert "/tasks/" in page.url
    page.click("a:has-text('Cancel task')")  # a step of its own: are you sure?
    page.wait_for_selector("h2:has-text('Cancel this task?')")
    page.click("button:has-text('Yes, cancel the task')")
    page.wait_for_selector(".message:has-text('Task cancelled')")
    assert page.locator(".badge-revoked").count() == 1
    shoot(page, "task-page")
    context.close()


def test_validation_errors_show_next_to_the_fields(page: object) -> None:
    page.fill("#id_url", "ftp://example.com/video.mp4")
    page.click("button:has-text('Generate task')")
    error = page.locator(".has-error .field-error")
    error.wait_for()
    assert "http" in error.inner_text()
    assert not Task.objects.exists()
    page.click("a.example-url")
    assert page.input_value("#id_url").startswith("https://")


def test_search_sort_and_filter(page: object, user: object, live_server: object) -> None:
    make_task(user, url="http://cdn.example.com/alpha.mp4", status=Status.SUCCESS, text="quarterly numbers")
    make_task(user, url="http://cdn.example.com/beta.mp4", status=Status.FAILURE, error="cannot download url: HTTP 404")
    make_task(user, url="http://cdn.example.com/gamma.mp4", status=Status.REVOKED)
    page.goto(live_server.url + "/")
    rows = page.locator("#tasks-table tbody tr")
    assert rows.count() == 3

    page.fill("#id_q", "quarterly")
    # Predicates are functions: a string expression would be eval'd in the page, which the
    # Content-Security-Policy refuses.
    page.wait_for_function("() => document.querySelectorAll('#tasks-table tbody tr').length === 1")
    assert "alpha.mp4" in rows.first.inner_text()

    page.fill("#id_q", "")
    page.wait_for_function("() => document.querySelectorAll('#tasks-table tbody tr').length === 3")
    page.click("th.col-url a")  # sort by URL: ascending first
    page.wait_for_function("() => document.querySelector('#tasks-table tbody tr').innerText.includes('alpha')")
    assert page.url.endswith("sort=url")
    page.click("th.col-url a")
    page.wait_for_function("() => document.querySelector('#tasks-table tbody tr').innerText.includes('gamma')")
    assert "sort=-url" in page.url

    page.select_option("#id_status", "FAILURE")
    page.wait_for_function("() => document.querySelectorAll('#tasks-table tbody tr').length === 1")
    assert "HTTP 404" in rows.first.inner_text()
    shoot(page, "tasks-filtered")


def test_an_editor_cancels_a_queued_task_from_its_dialog(page: object, user: object, live_server: object) -> None:
    task = make_task(user, url="http://cdn.example.com/queued.mp4", status=Status.PENDING)
    page.goto(live_server.url + "/")
    assert page.locator("#tasks-table[hx-trigger]").count() == 1  # polling while it waits
    page.click("a.task-link")
    dialog = page.locator("#task-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("a:has-text('Cancel task')").click()
    dialog.locator("button:has-text('Yes, cancel the task')").click()
    dialog.locator(".badge:has-text('Revoked')").wait_for()
    assert dialog.locator(":text('Cancel task')").count() == 0
    assert Task.objects.get(pk=task.pk).status == Status.REVOKED
    dialog.locator("[data-close-dialog]").click()
    page.wait_for_url(live_server.url + "/")  # closing brings the list's URL back (the close event is async)
    # The next poll shows the row revoked, and is the last one.
    page.wait_for_selector("#tasks-table tbody tr[data-status=REVOKED]")
    page.wait_for_selector("#tasks-table:not([hx-trigger])")


def test_an_editor_uploads_a_video_and_watches_it_with_ai_captions(
    page: object, live_server: object, media_dir: Path, queue_worker: None
) -> None:
    page.goto(live_server.url + "/videos")
    page.set_input_files("#id_file", str(media_dir / "english.mp4"))
    page.fill("#id_name", "Town hall")
    page.select_option("#id_auto_transcribe_audio_language", "auto")
    page.click("button:has-text('Add video')")
    page.wait_for_selector("h1:has-text('Town hall')")
    # The page refreshes itself while the AI task runs; the subtitle then appears as a track.
    page.wait_for_selector(".subtitle-list li:has-text('English (AI)')", timeout=90_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('video.player');"
        " return v && v.readyState >= 1 && v.textTracks.length === 1 && v.textTracks[0].cues"
        " && v.textTracks[0].cues.length > 0; }",
        timeout=30_000,
    )
    first_cue = page.evaluate("document.querySelector('video.player').textTracks[0].cues[0].text")
    assert "fox" in first_cue.lower()  # the real model heard the fixture's first sentence
    duration = page.evaluate("document.querySelector('video.player').duration")
    assert 8 < duration < 11
    shoot(page, "video-page")
