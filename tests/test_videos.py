"""Gcore's video API: videos copied from an origin, AI subtitles attached, subtitle CRUD,
range requests on mp4_url, and isolation between accounts."""

from __future__ import annotations

import json

import gcore
import pytest
from django.test import Client
from gcore import Gcore

from aitasks import hosted_videos
from aitasks.models import Status, Subtitle, Task, Video, VideoStatus
from tests.conftest import ENGLISH_KEY_WORDS, api_client, make_video, run_queued_tasks
from tests.heard import assert_heard

VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500\nHello there\n\n"
SRT = "1\n00:00:01,000 --> 00:00:03,500\nHello there\n\n2\n00:00:04,000 --> 00:00:05,000\nAgain\n"


def post(client: Client, path: str, body: object) -> object:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def patch(client: Client, path: str, body: object) -> object:
    return client.patch(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def ready_video(user: object, media_dir: object, settings: object) -> Video:
    """A video whose file is already stored (english.mp4)."""
    from aitasks import hosted_videos

    video = make_video(user, name="Keynote")
    scratch = settings.AITASKS_DATA_DIR / "scratch.mp4"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_bytes((media_dir / "english.mp4").read_bytes())
    hosted_videos.store_file(video, scratch)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    return video


# --- the SDK, unchanged, against a live server --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_sdk_uploads_by_url_and_gets_ai_subtitles_attached(
    live_server: object, api_key: str, media_server: object
) -> None:
    client = Gcore(api_key=api_key, base_url=live_server.url, max_retries=0)
    video = client.streaming.videos.create(
        video={
            "name": "Town hall",
            "description": "Copied from an origin",
            "origin_url": media_server.url("english.mp4"),
            "auto_transcribe_audio_language": "auto",
            "auto_translate_subtitles_language": "eng",
        }
    )
    assert video.status == "pending"

    run_queued_tasks()  # the worker: copy the origin, then run the AI task it queued

    stored = client.streaming.videos.get(video.id)
    assert stored.status == "ready"
    assert stored.duration > 5000 and stored.origin_size > 0
    assert stored.converted_videos[0].mp4_url.endswith(f"/streaming/videos/{video.id}/mp4")
    tasks = Task.objects.filter(video_id=video.id)
    assert {(task.status, task.client_entity_data, task.subtitles_language) for task in tasks} == {
        (Status.SUCCESS, str(video.id), ""),  # the transcription, in the detected language
        (Status.SUCCESS, str(video.id), "eng"),  # the requested English (the same language here)
    }
    subtitles = client.streaming.videos.subtitles.list(video.id)
    assert [(s.language, s.name) for s in subtitles] == [("eng", "English (AI)")]
    assert subtitles[0].vtt.startswith("WEBVTT")
    assert_heard(subtitles[0].vtt, ENGLISH_KEY_WORDS)  # the real model's words, attached

    listed = client.streaming.videos.list(page=1, per_page=10)
    assert [item.id for item in listed] == [video.id]
    renamed = client.streaming.videos.update(video.id, name="Town hall, March")
    assert renamed.name == "Town hall, March"

    client.streaming.videos.delete(video.id)
    with pytest.raises(gcore.NotFoundError):
        client.streaming.videos.get(video.id)


@pytest.mark.django_db(transaction=True)
def test_the_sdk_manages_subtitles(live_server: object, api_key: str, ready_video: Video) -> None:
    client = Gcore(api_key=api_key, base_url=live_server.url, max_retries=0)
    subtitles = client.streaming.videos.subtitles
    created = subtitles.create(ready_video.id, body={"name": "English", "language": "eng", "vtt": VTT})
    assert (created.name, created.language, created.vtt) == ("English", "eng", VTT)
    from_srt = subtitles.create(ready_video.id, body={"name": "Deutsch", "language": "deu", "vtt": SRT})
    assert from_srt.language == "ger" and from_srt.vtt.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500")
    assert subtitles.get(created.id, video_id=ready_video.id).name == "English"
    subtitles.update(created.id, video_id=ready_video.id, name="English (edited)")
    assert [s.name for s in subtitles.list(ready_video.id)] == ["English (edited)", "Deutsch"]
    subtitles.delete(created.id, video_id=ready_video.id)
    assert [s.id for s in subtitles.list(ready_video.id)] == [from_srt.id]
    with pytest.raises(gcore.BadRequestError):
        subtitles.create(ready_video.id, body={"name": "x", "language": "eng", "vtt": "not subtitles"})


# --- the API through the test client -------------------------------------------------------


@pytest.mark.django_db
def test_a_flat_body_is_accepted_as_the_how_to_sends_it(api: Client) -> None:
    response = post(api, "/streaming/videos", {"name": "Flat", "auto_transcribe_audio_language": "disable"})
    assert response.status_code == 200
    assert response.json()["status"] == "empty"
    assert response.json()["converted_videos"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("video", "message"),
    [
        ({}, "name"),
        ({"name": ["x"]}, "name: must be a string"),
        ({"name": "x", "client_user_id": "7"}, "client_user_id: must be an integer"),
        ({"name": "x", "client_user_id": True}, "client_user_id: must be an integer"),
        ({"name": "x", "origin_url": "ftp://a/b.mp4"}, "http"),
        ({"name": "x", "origin_url": "https://youtu.be/abc"}, "not video files"),
        ({"name": "x", "auto_transcribe_audio_language": "martian"}, "unknown language"),
        ({"name": "x", "auto_translate_subtitles_language": "eng"}, "needs auto_transcribe_audio_language"),
        ({"name": "x", "auto_transcribe_audio_language": "auto", "auto_translate_subtitles_language": "eng,xx"}, "unknown language"),
    ],
)  # fmt: skip
def test_invalid_videos_are_refused(api: Client, video: dict, message: str) -> None:
    response = post(api, "/streaming/videos", {"video": video})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Video.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_broken_origin_leaves_the_video_in_error(api: Client, media_server: object) -> None:
    response = post(api, "/streaming/videos", {"video": {"name": "x", "origin_url": media_server.url("page.html")}})
    run_queued_tasks()
    video = Video.objects.get(pk=response.json()["id"])
    assert (video.status, video.error) == (VideoStatus.ERROR, "file is not a media file")
    assert not video.directory.exists()


@pytest.mark.django_db(transaction=True)
def test_ai_subtitles_for_an_existing_video_with_translations(api: Client, ready_video: Video) -> None:
    response = post(
        api,
        f"/streaming/videos/{ready_video.pk}/subtitles",
        {"auto_transcribe_audio_language": "eng", "auto_translate_subtitles_language": "default"},
    )
    assert response.status_code == 200
    task_ids = response.json()["ai_task_ids"]
    assert len(task_ids) == 3  # English transcription, then French and German (eng is the source)
    run_queued_tasks()
    tasks = Task.objects.filter(pk__in=task_ids)
    assert {task.subtitles_language: task.status for task in tasks} == {
        "": Status.SUCCESS,
        "fre": Status.FAILURE,  # no translation model installed here: the pair is named
        "ger": Status.FAILURE,
    }
    assert tasks.get(subtitles_language="fre").error == "translation eng => fre is not supported by this installation"
    assert list(Subtitle.objects.filter(video=ready_video).values_list("language", "name")) == [("eng", "English (AI)")]


@pytest.mark.django_db
def test_ai_subtitles_need_a_stored_file(api: Client, user: object) -> None:
    video = make_video(user, name="empty")
    response = post(api, f"/streaming/videos/{video.pk}/subtitles", {"auto_transcribe_audio_language": "auto"})
    assert response.status_code == 400
    assert "no stored file" in response.json()["error"]


@pytest.mark.django_db
def test_mp4_url_serves_byte_ranges(api: Client, ready_video: Video, media_dir: object) -> None:
    whole = (media_dir / "english.mp4").read_bytes()
    full = api.get(f"/streaming/videos/{ready_video.pk}/mp4")
    assert full.status_code == 200 and full["Accept-Ranges"] == "bytes"
    assert b"".join(full.streaming_content) == whole
    part = api.get(f"/streaming/videos/{ready_video.pk}/mp4", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[100:200]
    tail = api.get(f"/streaming/videos/{ready_video.pk}/mp4", HTTP_RANGE="bytes=-50")
    assert b"".join(tail.streaming_content) == whole[-50:]
    beyond = api.get(f"/streaming/videos/{ready_video.pk}/mp4", HTTP_RANGE=f"bytes={len(whole)}-")
    assert beyond.status_code == 416


@pytest.mark.django_db
def test_a_logged_in_editor_can_play_the_mp4_in_the_browser(editor: Client, ready_video: Video) -> None:
    assert editor.get(f"/streaming/videos/{ready_video.pk}/mp4").status_code == 200
    assert Client().get(f"/streaming/videos/{ready_video.pk}/mp4").status_code == 401


@pytest.mark.django_db
def test_another_account_gets_404_everywhere(user: object, other_user: object, ready_video: Video) -> None:
    subtitle = Subtitle.objects.create(video=ready_video, name="x", language="eng", vtt=VTT)
    mallory = api_client(other_user)
    base = f"/streaming/videos/{ready_video.pk}"
    for response in (
        mallory.get(base),
        patch(mallory, base, {"name": "mine now"}),
        mallory.delete(base),
        mallory.get(base + "/mp4"),
        mallory.get(base + "/subtitles"),
        post(mallory, base + "/subtitles", {"name": "x", "language": "eng", "vtt": VTT}),
        mallory.get(f"{base}/subtitles/{subtitle.pk}"),
        patch(mallory, f"{base}/subtitles/{subtitle.pk}", {"name": "y"}),
        mallory.delete(f"{base}/subtitles/{subtitle.pk}"),
    ):
        assert response.status_code == 404
    assert mallory.get("/streaming/videos").json() == []
    ready_video.refresh_from_db()
    assert ready_video.name == "Keynote" and Subtitle.objects.get(pk=subtitle.pk).name == "x"


@pytest.mark.django_db
def test_deleting_a_video_removes_its_files_and_subtitles(api: Client, ready_video: Video) -> None:
    Subtitle.objects.create(video=ready_video, name="x", language="eng", vtt=VTT)
    directory = ready_video.directory
    assert api.delete(f"/streaming/videos/{ready_video.pk}").status_code == 204
    assert not directory.exists()
    assert not Subtitle.objects.exists()


@pytest.mark.django_db
def test_the_list_searches_and_filters(api: Client, user: object) -> None:
    make_video(user, name="Quarterly results", status=VideoStatus.READY)
    make_video(user, name="Team outing", status=VideoStatus.ERROR)
    assert [v["name"] for v in api.get("/streaming/videos", {"search": "quarterly"}).json()] == ["Quarterly results"]
    assert [v["name"] for v in api.get("/streaming/videos", {"status": "error"}).json()] == ["Team outing"]
    assert api.get("/streaming/videos", {"page": 3}).json() == []


@pytest.mark.django_db(transaction=True)
def test_auto_transcription_on_upload_attaches_real_subtitles(api: Client, media_server: object) -> None:
    """End to end with the real model: copy → AI task → WebVTT attached to the video."""
    response = post(
        api,
        "/streaming/videos",
        {"name": "Keynote", "origin_url": media_server.url("english.mp4"), "auto_transcribe_audio_language": "auto"},
    )
    run_queued_tasks()
    video_id = response.json()["id"]
    subtitles = api.get(f"/streaming/videos/{video_id}/subtitles").json()
    assert [(s["language"], s["name"]) for s in subtitles] == [("eng", "English (AI)")]
    assert subtitles[0]["vtt"].startswith("WEBVTT\n\n1\n")
    assert_heard(subtitles[0]["vtt"], ENGLISH_KEY_WORDS)
    task = Task.objects.get(video_id=video_id)
    assert (task.status, task.client_entity_data) == (Status.SUCCESS, str(video_id))


def _mixed_task(video: Video, **fields: object) -> Task:
    cues = [
        {"start": 0, "end": 1500, "lines": ["Good morning everyone."], "language": "eng"},
        {"start": 2000, "end": 3500, "lines": ["Guten Morgen."], "language": "ger"},
        {"start": 4000, "end": 5500, "lines": ["Thank you very much."], "language": "eng"},
    ]
    result = {"cues": cues, "languages": ["eng", "ger"] + ([fields["subtitles_language"]] if fields else [])}
    return Task.objects.create(
        owner=video.owner, video=video, url=video.mp4_path(), status=Status.SUCCESS, result=result, **fields
    )


def test_a_mixed_language_video_gets_one_ai_track_per_spoken_language(ready_video: Video) -> None:
    hosted_videos.attach_result(_mixed_task(ready_video))
    tracks = {s.name: s for s in Subtitle.objects.filter(video=ready_video)}
    assert set(tracks) == {"English (AI)", "German (AI)"}
    assert (tracks["English (AI)"].language, tracks["German (AI)"].language) == ("eng", "ger")
    assert "Good morning" in tracks["English (AI)"].vtt and "Guten Morgen" not in tracks["English (AI)"].vtt
    assert "Guten Morgen" in tracks["German (AI)"].vtt and "Thank you" not in tracks["German (AI)"].vtt
    hosted_videos.attach_result(_mixed_task(ready_video))  # generated again: no duplicate tracks
    assert Subtitle.objects.filter(video=ready_video).count() == 2


def test_a_translation_of_a_mixed_video_is_one_track_in_its_target(ready_video: Video) -> None:
    hosted_videos.attach_result(_mixed_task(ready_video, subtitles_language="fre"))
    assert list(Subtitle.objects.filter(video=ready_video).values_list("name", "language")) == [
        ("French (AI-translate)", "fre")
    ]
