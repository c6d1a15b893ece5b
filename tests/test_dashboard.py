"""Every dashboard view through the test client: full pages, htmx fragments, isolation."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aitasks.models import Status, Subtitle, Task, Video, VideoStatus
from tests.conftest import make_task, make_video, run_queued_tasks

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
RESULT = {
    "cues": [{"start": 500, "end": 2500, "lines": ["Hello there."], "language": "eng"}],
    "languages": ["eng"],
    "speech_detected": True,
}


def finished(owner: object, **fields: object) -> Task:
    return make_task(
        owner, url="http://cdn.example.com/talks/keynote.mp4", status=Status.SUCCESS, result=RESULT, **fields
    )


@pytest.mark.parametrize("path", ["/", "/videos", "/tasks/00000000-0000-4000-8000-000000000000", "/videos/1"])
def test_pages_need_a_login(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_the_login_page_logs_in(user: object) -> None:
    client = Client()
    response = client.post("/login", {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_forms_carry_csrf_protection(user: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/tasks/new", {"url": "http://a.io/x.mp4", "task_name": "transcription"}).status_code == 403


def test_the_tasks_page_shows_only_my_tasks(editor: Client, user: object, other_user: object) -> None:
    mine = finished(user)
    theirs = finished(other_user, client_user_id="secret")
    page = editor.get("/").content.decode()
    assert str(mine.pk)[:8] in page and str(theirs.pk)[:8] not in page
    assert "Generate task" in page and "Select from uploaded videos" not in page  # no videos yet
    assert "htmx" in page  # served from the package


def test_the_video_picker_appears_once_a_video_is_ready(editor: Client, user: object) -> None:
    make_video(user, name="Ready one", status=VideoStatus.READY)
    assert "Select from uploaded videos" in editor.get("/").content.decode()


def test_the_table_fragment_polls_while_tasks_run_and_stops_when_all_are_final(editor: Client, user: object) -> None:
    task = make_task(user, url="http://a.io/x.mp4", status=Status.STARTED, progress=55)
    running = editor.get("/", HTTP_HX_TARGET="tasks-table", HTTP_HX_TRIGGER="tasks-table", **HTMX)
    body = running.content.decode()
    assert running.status_code == 200
    assert 'hx-trigger="every 2s"' in body and "55%" in body and "<html" not in body
    task.status = Status.SUCCESS
    task.save()
    done = editor.get("/", HTTP_HX_TARGET="tasks-table", HTTP_HX_TRIGGER="tasks-table", **HTMX)
    assert done.status_code == 286
    assert 'hx-trigger="every 2s"' not in done.content.decode()


def test_the_table_sorts_searches_filters_and_pages(editor: Client, user: object) -> None:
    for index in range(25):
        make_task(user, url=f"http://a.io/{index:02d}.mp4", status=Status.SUCCESS)
    make_task(user, url="http://a.io/zz.mp4", status=Status.FAILURE, text="budget meeting")
    first = editor.get("/", {"sort": "url"}).content.decode()
    assert first.index("a.io/00.mp4") < first.index("a.io/01.mp4")
    assert "Page 1 of 2" in first
    assert "a.io/00.mp4" not in editor.get("/", {"sort": "-url"}).content.decode()
    searched = editor.get("/", {"q": "budget"}).content.decode()
    assert "zz.mp4" in searched and "a.io/00.mp4" not in searched
    failed = editor.get("/", {"status": "FAILURE"}).content.decode()
    assert "zz.mp4" in failed and "1 task" in failed
    assert editor.get("/", {"sort": "nonsense; drop table"}).status_code == 200  # falls back to newest first


def test_generating_a_task_queues_it(editor: Client, user: object, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            "/tasks/new",
            {
                "url": "http://a.io/talk.mp4",
                "task_name": "transcription",
                "audio_language": "ger",
                "subtitles_language": "eng",
            },
        )
    assert response.status_code == 302
    task = Task.objects.get(owner=user)
    assert (task.status, task.audio_language, task.subtitles_language) == (Status.PENDING, "ger", "eng")


def test_generating_with_htmx_returns_the_form_and_the_table(editor: Client, user: object) -> None:
    response = editor.post("/tasks/new", {"url": "http://a.io/talk.mp4", "task_name": "transcription"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="generate-form"' in body and 'hx-swap-oob="true"' in body and "a.io/talk.mp4" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": ""}, "Enter the URL of an MP4 file"),
        ({"url": "ftp://a.io/x.mp4"}, "http"),
        ({"url": "https://vimeo.com/123"}, "not video files"),
        ({"url": "http://a.io/x.mp4", "audio_language": "xxx"}, "Select a valid choice"),
    ],
)
def test_invalid_input_shows_errors_next_to_the_fields(editor: Client, data: dict, message: str) -> None:
    full = editor.post("/tasks/new", {"task_name": "transcription", **data})
    assert full.status_code == 400 and message in full.content.decode()
    fragment = editor.post("/tasks/new", {"task_name": "transcription", **data}, **HTMX)
    assert 'class="field-error"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    assert not Task.objects.exists()


def test_task_details_as_a_page_and_as_a_dialog(editor: Client, user: object) -> None:
    task = finished(user, audio_language="eng")
    page = editor.get(f"/tasks/{task.pk}").content.decode()
    assert "<html" in page and "Task details" in page and "Hello there." in page
    assert 'kind="subtitles"' in page and "00:00:00.500" in page and "Download VTT" in page
    assert "&quot;task_name&quot;: &quot;transcription&quot;" in page  # the request, as JSON
    dialog = editor.get(f"/tasks/{task.pk}", **HTMX).content.decode()
    assert "<html" not in dialog and "Task details" in dialog


def test_downloads_are_real_files_with_sensible_names(editor: Client, user: object) -> None:
    task = finished(user)
    vtt = editor.get(f"/tasks/{task.pk}/subtitles.vtt")
    assert vtt["Content-Disposition"] == 'attachment; filename="keynote.eng.vtt"'
    assert vtt.content.decode() == "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.500\nHello there.\n\n"
    srt = editor.get(f"/tasks/{task.pk}/subtitles.srt")
    assert srt.content.decode() == "1\n00:00:00,500 --> 00:00:02,500\nHello there.\n\n"
    assert editor.get(f"/tasks/{task.pk}/subtitles.txt").content.decode() == "Hello there.\n"
    assert "Content-Disposition" not in editor.get(f"/tasks/{task.pk}/subtitles.vtt?inline=1")
    assert editor.get(f"/tasks/{task.pk}/subtitles.exe").status_code == 404


def test_cancel_asks_first_then_revokes_an_unfinished_task(editor: Client, user: object) -> None:
    task = make_task(user, url="http://a.io/x.mp4", status=Status.PENDING)
    question = editor.get(f"/tasks/{task.pk}/cancel")  # the confirmation step, a page without JS
    body = question.content.decode()
    assert question.status_code == 200 and "Cancel this task?" in body and "Yes, cancel the task" in body
    assert Task.objects.get(pk=task.pk).status == Status.PENDING  # asking changes nothing
    assert editor.post(f"/tasks/{task.pk}/cancel").status_code == 302
    task.refresh_from_db()
    assert task.status == Status.REVOKED
    assert editor.get(f"/tasks/{task.pk}/cancel")["Location"] == f"/tasks/{task.pk}"  # nothing left to ask
    assert editor.put(f"/tasks/{task.pk}/cancel").status_code == 405


def test_the_cancel_question_in_the_dialog_is_a_fragment(editor: Client, user: object) -> None:
    task = make_task(user, url="http://a.io/x.mp4", status=Status.STARTED)
    body = editor.get(f"/tasks/{task.pk}/cancel", **HTMX).content.decode()
    assert "<html" not in body and "Cancel this task?" in body and 'hx-post="/tasks/' in body
    assert "No, keep it" in body


def test_cancel_from_the_dialog_answers_with_the_dialog(editor: Client, user: object) -> None:
    task = make_task(user, url="http://a.io/x.mp4", status=Status.STARTED, progress=40)
    response = editor.post(f"/tasks/{task.pk}/cancel", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "badge-revoked" in body and "Cancel task" not in body


def test_the_queue_limit_holds_on_the_dashboard_too(editor: Client, user: object, settings: object) -> None:
    settings.AITASKS_QUEUE_LIMIT = 1
    make_task(user, url="http://a.io/x.mp4", status=Status.PENDING)
    response = editor.post("/tasks/new", {"url": "http://a.io/y.mp4", "task_name": "transcription"}, **HTMX)
    assert "Queue limit reached (1)" in response.content.decode()
    assert Task.objects.count() == 1


def test_the_example_link_fills_the_url_without_javascript(editor: Client) -> None:
    page = editor.get("/", {"example": "1"}).content.decode()
    assert 'value="https://demo-files.gvideo.io/' in page


def test_links_in_the_polling_table_open_the_dialog_in_place(editor: Client, user: object) -> None:
    # The polling wrapper swaps itself (outerHTML); its rows must not inherit that.
    task = make_task(user, url="http://a.io/x.mp4", status=Status.STARTED)
    body = editor.get("/").content.decode()
    assert 'hx-disinherit="*"' in body
    assert f'hx-get="/tasks/{task.pk}" hx-target="#task-dialog-body" hx-swap="innerHTML"' in body


def test_other_users_tasks_and_videos_are_not_found(editor: Client, other_user: object) -> None:
    task = finished(other_user)
    pending = make_task(other_user, url="http://a.io/x.mp4", status=Status.PENDING)
    video = make_video(other_user, name="theirs", status=VideoStatus.READY)
    subtitle = Subtitle.objects.create(video=video, name="x", language="eng", vtt="WEBVTT\n\n")
    for response in (
        editor.get(f"/tasks/{task.pk}"),
        editor.get(f"/tasks/{task.pk}", **HTMX),
        editor.get(f"/tasks/{task.pk}/subtitles.vtt"),
        editor.post(f"/tasks/{pending.pk}/cancel"),
        editor.get(f"/videos/{video.pk}"),
        editor.post(f"/videos/{video.pk}/delete"),
        editor.post(f"/videos/{video.pk}/subtitles", {"generate": "1"}),
        editor.get(f"/videos/{video.pk}/subtitles/{subtitle.pk}.vtt"),
        editor.post(f"/videos/{video.pk}/subtitles/{subtitle.pk}/delete"),
        editor.get(f"/streaming/videos/{video.pk}/mp4"),
    ):
        assert response.status_code == 404
    assert Task.objects.get(pk=pending.pk).status == Status.PENDING
    assert Video.objects.filter(pk=video.pk).exists() and Subtitle.objects.filter(pk=subtitle.pk).exists()
    assert "theirs" not in editor.get("/videos").content.decode()


def test_uploading_a_video_stores_it_and_starts_ai_subtitles(
    editor: Client, user: object, media_dir: object, django_capture_on_commit_callbacks
) -> None:
    upload = SimpleUploadedFile("town-hall.mp4", (media_dir / "english.mp4").read_bytes(), content_type="video/mp4")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            "/videos",
            {"file": upload, "auto_transcribe_audio_language": "auto", "auto_translate_subtitles_language": ["eng"]},
        )
    video = Video.objects.get(owner=user)
    assert response.status_code == 302 and response["Location"] == f"/videos/{video.pk}"
    assert (video.name, video.status) == ("town-hall", VideoStatus.READY)
    assert video.file_path.read_bytes() == (media_dir / "english.mp4").read_bytes()
    assert video.ai_tasks.count() == 2
    page = editor.get(f"/videos/{video.pk}").content.decode()
    assert f'src="/streaming/videos/{video.pk}/mp4"' in page and "AI tasks for this video" in page


def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_kept(
    editor: Client, user: object, settings: object
) -> None:
    def files() -> set[object]:
        return {path for path in settings.AITASKS_DATA_DIR.rglob("*") if path.is_file()}  # type: ignore[attr-defined]

    before = files()
    upload = SimpleUploadedFile("notes.mp4", b"<html>not a video</html>", content_type="video/mp4")
    response = editor.post("/videos", {"file": upload, "auto_transcribe_audio_language": "disable"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="field-error"' in body and "file is not a media file" in body and "added" not in body
    assert not Video.objects.exists()
    assert files() == before


def test_the_upload_form_needs_a_file_or_a_url(editor: Client) -> None:
    response = editor.post("/videos", {"auto_transcribe_audio_language": "disable"})
    assert response.status_code == 400 and "Choose a video file or give the URL" in response.content.decode()


def test_subtitles_can_be_uploaded_downloaded_and_deleted(editor: Client, user: object) -> None:
    video = make_video(user, name="Keynote", status=VideoStatus.READY)
    srt = SimpleUploadedFile("subs.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHallo\n")
    editor.post(f"/videos/{video.pk}/subtitles", {"language": "ger", "file": srt})
    subtitle = Subtitle.objects.get(video=video)
    assert (subtitle.name, subtitle.language) == ("German", "ger")
    download = editor.get(f"/videos/{video.pk}/subtitles/{subtitle.pk}.vtt")
    assert download["Content-Disposition"] == 'attachment; filename="keynote.ger.vtt"'
    assert download.content.decode().startswith("WEBVTT")
    bad = SimpleUploadedFile("subs.txt", b"just words")
    response = editor.post(f"/videos/{video.pk}/subtitles", {"language": "eng", "file": bad}, follow=True)
    assert "were not accepted" in response.content.decode()
    editor.post(f"/videos/{video.pk}/subtitles/{subtitle.pk}/delete")
    assert not Subtitle.objects.exists()


def test_deleting_a_video_from_the_dashboard(editor: Client, user: object) -> None:
    video = make_video(user, name="Old", status=VideoStatus.READY)
    assert editor.post(f"/videos/{video.pk}/delete")["Location"] == "/videos"
    assert not Video.objects.exists()


def test_the_videos_table_fragment_stops_polling_when_copies_are_done(editor: Client, user: object) -> None:
    make_video(user, name="Done", status=VideoStatus.READY)
    response = editor.get("/videos", HTTP_HX_TARGET="videos-table", **HTMX)
    assert response.status_code == 286 and "Done" in response.content.decode()


def test_the_video_page_polls_its_changing_parts_and_resends_the_player_only_when_it_changed(
    editor: Client, user: object
) -> None:
    video = make_video(user, name="Talk", status=VideoStatus.PENDING)
    page = editor.get(f"/videos/{video.pk}").content.decode()
    assert 'id="video-live"' in page and 'hx-trigger="every 3s"' in page and "http-equiv" not in page
    live = {"HTTP_HX_TARGET": "video-live", "HTTP_HX_TRIGGER": "video-live", **HTMX}
    copying = editor.get(f"/videos/{video.pk}?player=none", **live)
    body = copying.content.decode()
    assert copying.status_code == 200 and 'id="video-state"' in body and "Upload subtitles" not in body
    assert 'id="video-player"' not in body  # the client's player is still what the video has
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.ERROR, error="no audio track")
    done = editor.get(f"/videos/{video.pk}?player=none", **live)
    assert done.status_code == 286 and "no audio track" in done.content.decode()
    assert "hx-trigger" not in done.content.decode()
    changed = editor.get(f"/videos/{video.pk}?player=tracks:", **live)
    assert 'id="video-player"' in changed.content.decode()  # a player the video no longer has


def test_django_admin_for_staff(admin_client: Client, user: object) -> None:
    finished(user)
    for path in ("/admin/aitasks/task/", "/admin/aitasks/apikey/", "/admin/auth/user/", "/admin/aitasks/video/"):
        assert admin_client.get(path).status_code == 200, path


# --- issue 15: translation targets, the live dialog, labels -------------------------------


def options(html: str, name: str) -> list[str]:
    """The values a <select name=…> (or the checkboxes named so) offers in `html`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if select:
        return re.findall(r'<option value="([^"]*)"', select.group(1))
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)"', html)


MODELS = "eng>fre=/srv/models/opus-mt-en-fr, ger>ita=/srv/models/opus-mt-de-it"


def test_only_the_translations_this_installation_makes_are_offered(
    editor: Client, user: object, settings: object
) -> None:
    make_video(user, name="Keynote", status=VideoStatus.READY)
    video = Video.objects.get()
    assert options(editor.get("/").content.decode(), "subtitles_language") == ["", "eng"]
    assert options(editor.get("/videos").content.decode(), "auto_translate_subtitles_language") == ["eng"]
    settings.AITASKS_TRANSLATION_MODELS = MODELS  # type: ignore[attr-defined]
    assert options(editor.get("/").content.decode(), "subtitles_language") == ["", "eng", "fre", "ita"]
    videos_page = editor.get("/videos").content.decode()
    assert options(videos_page, "auto_translate_subtitles_language") == ["eng", "fre", "ita"]
    video_page = editor.get(f"/videos/{video.pk}").content.decode()
    assert options(video_page, "subtitles_language") == ["", "eng", "fre", "ita"]
    assert len(options(video_page, "audio_language")) == 100  # any spoken language, or auto-detect


@pytest.mark.parametrize(
    ("audio", "target", "message"),
    [
        ("fre", "ger", "This installation cannot translate into German; it translates into English, French"),
        ("", "ita", "Translation into Italian works from German speech only: choose the audio language."),
        ("spa", "ita", "This installation cannot translate Spanish into Italian, only German."),
    ],
)
def test_a_translation_it_cannot_make_is_refused_in_plain_words(
    editor: Client, api: Client, settings: object, audio: str, target: str, message: str
) -> None:
    settings.AITASKS_TRANSLATION_MODELS = MODELS  # type: ignore[attr-defined]
    data = {"url": "http://a.io/x.mp4", "task_name": "transcription", "audio_language": audio}
    response = editor.post("/tasks/new", {**data, "subtitles_language": target}, **HTMX)
    assert message in html.unescape(response.content.decode())
    assert not Task.objects.exists()
    # The API keeps Gcore's behaviour: the task is accepted and fails naming the pair, and
    # /streaming/ai/info says the pair is not supported.
    query = {"type": "language_support", "audio_language": audio, "subtitles_language": target}
    assert api.get("/streaming/ai/info", query).json() == {"supported": False}
    body = json.dumps({**data, "subtitles_language": target})
    assert api.post("/streaming/ai/tasks", body, content_type="application/json").status_code == 200


@pytest.mark.parametrize(("audio", "target"), [("", "eng"), ("ger", "ita"), ("", "fre"), ("spa", "spa")])
def test_a_translation_it_can_make_is_accepted(
    editor: Client, api: Client, settings: object, audio: str, target: str
) -> None:
    settings.AITASKS_TRANSLATION_MODELS = MODELS  # type: ignore[attr-defined]
    data = {"url": "http://a.io/x.mp4", "task_name": "transcription", "audio_language": audio}
    assert editor.post("/tasks/new", {**data, "subtitles_language": target}).status_code == 302
    assert Task.objects.get().subtitles_language == target
    query = {"type": "language_support", "audio_language": audio, "subtitles_language": target}
    assert api.get("/streaming/ai/info", query).json() == {"supported": True}


def test_a_video_upload_asking_for_a_translation_it_cannot_make_is_refused(editor: Client, media_dir: object) -> None:
    upload = SimpleUploadedFile("talk.mp4", (media_dir / "english.mp4").read_bytes(), content_type="video/mp4")
    response = editor.post(
        "/videos",
        {"file": upload, "auto_transcribe_audio_language": "auto", "auto_translate_subtitles_language": ["ger"]},
    )
    assert response.status_code == 400
    assert "This installation cannot translate into German" in html.unescape(response.content.decode())
    assert not Video.objects.exists()


def test_ai_subtitles_for_a_video_refuse_a_translation_it_cannot_make(editor: Client, user: object) -> None:
    video = make_video(user, name="Keynote", status=VideoStatus.READY)
    response = editor.post(
        f"/videos/{video.pk}/subtitles", {"generate": "1", "audio_language": "fre", "subtitles_language": "ger"}
    )
    assert response.status_code == 302 and not Task.objects.exists()
    page = html.unescape(editor.get(response["Location"]).content.decode())
    assert "This installation cannot translate into German" in page


def test_the_task_details_refresh_while_the_task_runs_and_stop_when_it_ends(editor: Client, user: object) -> None:
    task = make_task(user, url="http://a.io/x.mp4", status=Status.STARTED, progress=35)
    dialog = editor.get(f"/tasks/{task.pk}", **HTMX).content.decode()
    assert 'id="task-live"' in dialog and 'hx-trigger="every 2s"' in dialog and "Cancel task" in dialog
    live = {"HTTP_HX_TARGET": "task-live", "HTTP_HX_TRIGGER": "task-live", **HTMX}
    running = editor.get(f"/tasks/{task.pk}", **live)
    assert running.status_code == 200 and "35%" in running.content.decode()
    assert "Task details" not in running.content.decode()  # only the part that changes
    Task.objects.filter(pk=task.pk).update(status=Status.SUCCESS, progress=100, result=RESULT)
    done = editor.get(f"/tasks/{task.pk}", **live)
    body = done.content.decode()
    assert done.status_code == 286  # htmx's "stop polling", with the final state to show
    assert "Hello there." in body and "Download VTT" in body
    assert "Cancel task" not in body and "hx-trigger" not in body


def test_a_task_on_a_hosted_video_shows_the_videos_name_languages_by_name_and_utc_times(
    editor: Client, user: object
) -> None:
    video = make_video(user, name="Town hall", status=VideoStatus.READY)
    result = {**RESULT, "languages": ["ger", "eng"], "language_detection": [
        {"language": "ger", "speech_seconds": 5.0, "confidence": 0.9},
        {"language": "eng", "speech_seconds": 3.0, "confidence": 0.8},
    ]}  # fmt: skip
    task = make_task(
        user, video=video, url=video.mp4_path(), status=Status.SUCCESS, result=result, subtitles_language="eng"
    )
    table = editor.get("/").content.decode()
    dialog = editor.get(f"/tasks/{task.pk}", **HTMX).content.decode()
    for page in (table, dialog):
        assert "Town hall" in page and "German, English → English" in page and " UTC" in page
    assert ">/streaming/videos/" not in table and ">/streaming/videos/" not in dialog
    video.delete()
    assert "Deleted video" in editor.get("/").content.decode()


def test_the_first_click_on_a_column_sorts_it_ascending(editor: Client, user: object) -> None:
    page = editor.get("/").content.decode()
    assert 'href="?sort=url"' in page and 'href="?sort=created"' in page  # newest first, then oldest first
    assert 'href="?sort=-url"' in editor.get("/", {"sort": "url"}).content.decode()


def test_a_loopback_origin_fails_with_a_reason_that_names_the_setting_for_operators(
    editor: Client, user: object, media_server: object, settings: object, django_capture_on_commit_callbacks
) -> None:
    settings.AITASKS_ALLOWED_PRIVATE_HOSTS = []  # type: ignore[attr-defined]  # production's default
    settings.AITASKS_ALLOWED_PORTS = [80, 443, media_server.httpd.server_address[1]]  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        editor.post("/tasks/new", {"url": media_server.url("english.mp4"), "task_name": "transcription"})
    run_queued_tasks()
    task = Task.objects.get(owner=user)
    assert task.status == Status.FAILURE
    assert "127.0.0.1 is not a public address" in task.error and "AITASKS_ALLOWED_PRIVATE_HOSTS" in task.error
    assert "AITASKS_ALLOWED_PRIVATE_HOSTS" in editor.get(f"/tasks/{task.pk}").content.decode()
