"""Content moderation in the dashboard, in a real browser (Playwright + Debian's chromium):
generate a task from the form, watch it finish, open its details, click a flagged frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from aitasks.models import Task, VideoStatus
from tests import media
from tests.conftest import make_video
from tests.test_browser import CHROMIUM, browser, page, shoot  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_an_editor_moderates_a_video_and_jumps_to_a_flagged_frame(
    page: object,  # noqa: F811
    queue_worker: None,
    settings: object,
    user: object,
) -> None:
    # No picture the tests can make shows sport: a backend plugged in by setting, as an operator
    # would plug in a sport model, "finds" football in the red seconds (2 and 5).
    settings.AITASKS_MODERATION_BACKENDS = "sport=tests.moderation_backends.RedFrames"  # type: ignore[attr-defined]
    # A video stored here (the player seeks it with range requests; the test media server has none).
    stored = make_video(user, name="Match", status=VideoStatus.READY)
    stored.directory.mkdir(parents=True, exist_ok=True)
    media.write_video(stored.file_path, [(128, 128, 128), (40, 60, 200), (200, 30, 30)] * 2)
    page.reload()  # the form now offers sport, and the video
    page.select_option("#id_video", str(stored.pk))
    assert page.is_visible("#id_audio_language") and not page.is_visible("#id_category")
    page.select_option("#id_task_name", "content-moderation")
    assert page.is_visible("#id_category") and not page.is_visible("#id_audio_language")
    page.select_option("#id_category", "sport")
    with page.expect_response(lambda response: "/tasks/new" in response.url):
        page.click("button:has-text('Generate task')")
    page.wait_for_selector("#tasks-table tbody tr[data-status=SUCCESS]", timeout=60_000)
    row = page.locator("#tasks-table tbody tr").first
    assert "Content moderation" in row.inner_text() and "sport" in row.inner_text()
    assert Task.objects.get().video == stored

    page.click("#tasks-table tbody tr >> a.task-link")
    dialog = page.locator("#task-dialog")
    dialog.wait_for(state="visible")
    frames = dialog.locator(".flagged-frames li")
    assert frames.count() == 2
    assert "football" in frames.nth(1).inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.flagged-frames img')].every(img => img.complete && img.naturalWidth > 0)"
    )
    assert dialog.locator(".flagged-frames img").first.evaluate("img => img.naturalWidth") == 240
    address = page.url
    frames.nth(1).locator("a").click()
    assert page.url == address  # the player seeks in place, no navigation
    seek = page.evaluate("document.querySelector('#task-dialog video').currentTime")
    assert seek == pytest.approx(5.0, abs=0.05)  # frame 125: the second red second starts at 5 s
    shoot(page, "moderation-dialog")
