"""Content moderation: the API, the worker on videos the tests make, Gcore's SDK in strict mode.

What these tests can show: requests are checked and echoed; frames are sampled once a second
from the first video track with the right frame numbers; the real models (open_nsfw, NudeNet)
load from their packages, run on every sampled frame and leave plain coloured scenes alone;
results have exactly the shapes of the SDK's models; failures read well; thumbnails are the
owner's only. What they cannot show: that the models find real nudity or NSFW content (no such
picture can be part of the project). The paths that need a detection run with the real nsfw
model under a threshold low enough to flag every frame, or with a backend plugged in by setting
(tests/moderation_backends.py), as an operator plugs in a sport model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django_q.models import OrmQ
from gcore import Gcore, UnprocessableEntityError
from gcore.types.streaming.ai_task_get_response import (
    AITaskGetResponseResultAIResultsContentmoderationHardnudity,
    AITaskGetResponseResultAIResultsContentmoderationNsfw,
    AITaskGetResponseResultAIResultsContentmoderationSoftnudity,
    AITaskGetResponseResultAIResultsContentmoderationSport,
)

from aitasks.models import FlaggedFrame, Status, Task
from aitasks.worker import process_task
from tests import media
from tests.conftest import make_task

GREY, BLUE, RED, GREEN = (128, 128, 128), (40, 60, 200), (200, 30, 30), (30, 160, 60)
PLUGGED = "tests.moderation_backends.RedFrames"


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six seconds of plain scenes at 25 fps, red in seconds 2 and 4 (frames 50-74, 100-124)."""
    root = tmp_path_factory.mktemp("moderation")
    media.write_video(root / "scenes.mp4", [GREY, BLUE, RED, GREEN, RED, GREY])
    media.write_mp4(root / "audio-only.mp4", [media.tone(2.0)], video=False)
    return root


@pytest.fixture
def served(media_server: object, scenes: Path) -> object:
    for path in scenes.iterdir():
        media_server.add(path.name, path.read_bytes())  # type: ignore[attr-defined]
    return media_server


def create(api: Client, **body: str) -> object:
    return api.post("/streaming/ai/tasks", {"task_name": "content-moderation", **body}, content_type="application/json")


def run(api: Client, **body: str) -> dict:
    response = create(api, **body)
    assert response.status_code == 200, response.json()
    task_id = response.json()["task_id"]
    Task.objects.get(pk=task_id).transition(Status.PENDING)  # what the queue does after the commit
    process_task(task_id)  # what the django-q2 worker does with the queued task
    return api.get(f"/streaming/ai/tasks/{task_id}").json()


@pytest.mark.django_db
def test_it_creates_a_moderation_task_and_echoes_the_request(api: Client, served: object) -> None:
    response = create(
        api,
        url=served.url("scenes.mp4"),
        category="soft_nudity",
        stop_objects=" FEMALE_BREAST_EXPOSED:0.80, FACE_MALE ",
        client_user_id="u1",
    )
    assert response.status_code == 200
    task = api.get(f"/streaming/ai/tasks/{response.json()['task_id']}").json()
    assert task["task_name"] == "content-moderation"
    assert task["task_data"] == {
        "task_name": "content-moderation",
        "url": served.url("scenes.mp4"),
        "category": "soft_nudity",
        "stop_objects": "FEMALE_BREAST_EXPOSED:0.8,FACE_MALE",
        "client_user_id": "u1",
        "client_id": task["task_data"]["client_id"],
    }
    found = api.get("/streaming/ai/tasks", {"search": "soft_nudity"}).json()["results"]
    assert [listed["task_id"] for listed in found] == [task["task_id"]]
    assert api.get("/streaming/ai/tasks", {"search": "nsfw"}).json()["results"] == []


@pytest.mark.django_db
def test_a_category_that_is_not_enabled_answers_422_and_queues_nothing(api: Client) -> None:
    response = create(api, url="http://127.0.0.1/a.mp4", category="sport")
    assert response.status_code == 422
    assert "not enabled" in response.json()["error"]
    assert not Task.objects.exists() and not OrmQ.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "category", "needs a category"),
        ({"category": "violence"}, "category", "must be one of"),
        ({"category": "nsfw", "stop_objects": "nsfw"}, "stop_objects", "only for the hard_nudity"),
        ({"category": "hard_nudity", "stop_objects": "FACE_MALE"}, "stop_objects", "not a hard_nudity label"),
        ({"category": "soft_nudity", "stop_objects": "FACE_MALE:high"}, "stop_objects", "must be a number"),
        ({"category": "soft_nudity", "stop_objects": "FACE_MALE:1.5"}, "stop_objects", "at most 1"),
        ({"category": "nsfw", "audio_language": "eng"}, "audio_language", "only for transcription"),
        ({"task_name": "transcription", "category": "nsfw"}, "category", "only for content-moderation"),
        ({"task_name": "translation", "category": "nsfw"}, "task_name", "must be 'transcription' or"),
    ],
)
def test_bad_moderation_requests_get_a_400_naming_the_field(api: Client, body: dict, field: str, words: str) -> None:
    response = create(api, url="http://127.0.0.1/a.mp4", **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert words in response.json()["error"]
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_ai_info_names_the_categories_this_installation_scores(api: Client, settings: object) -> None:
    info = api.get("/streaming/ai/info?type=content_moderation").json()
    assert info == {"supported": True, "categories": ["nsfw", "hard_nudity", "soft_nudity"]}
    assert api.get("/streaming/ai/info?type=content_moderation&category=sport").json() == {"supported": False}
    assert api.get("/streaming/ai/info?type=content_moderation&category=nsfw").json() == {"supported": True}
    assert api.get("/streaming/ai/info?type=content_moderation&category=gore").status_code == 400
    settings.AITASKS_MODERATION_BACKENDS = f"sport={PLUGGED}, hard_nudity="  # type: ignore[attr-defined]
    info = api.get("/streaming/ai/info?type=content_moderation").json()
    assert info["categories"] == ["nsfw", "soft_nudity", "sport"]


@pytest.mark.django_db
def test_open_nsfw_scores_a_frame_a_second_and_leaves_plain_scenes_alone(api: Client, served: object) -> None:
    task = run(api, url=served.url("scenes.mp4"), category="nsfw")
    assert task["status"] == "SUCCESS", task["result"]
    assert task["result"] == {"nsfw_detected": False, "detection_results": [], "frames": []}
    stored = Task.objects.get().result
    assert stored["frames_scored"] == 6 and stored["interval_s"] == 1.0


@pytest.mark.django_db
def test_frames_over_the_threshold_are_flagged_with_their_frame_numbers(
    api: Client, served: object, settings: object
) -> None:
    # Plain scenes score far below Yahoo's 0.8: a threshold this low flags every sampled frame,
    # which shows the flagged path with the real model (not that the model is right).
    settings.AITASKS_MODERATION_NSFW_THRESHOLD = 1e-6  # type: ignore[attr-defined]
    result = run(api, url=served.url("scenes.mp4"), category="nsfw")["result"]
    assert result["nsfw_detected"] is True
    assert result["detection_results"] == ["nsfw"]
    assert [frame["frame_number"] for frame in result["frames"]] == [0, 25, 50, 75, 100, 125]
    assert all(frame["label"] == "nsfw" and 0 < frame["confidence"] < 0.8 for frame in result["frames"])
    thumbnails = FlaggedFrame.objects.filter(task=Task.objects.get())
    assert [(frame.frame_number, frame.time_ms) for frame in thumbnails] == [(n * 25, n * 1000) for n in range(6)]
    assert all(bytes(frame.jpeg).startswith(b"\xff\xd8") and len(frame.jpeg) < 20_000 for frame in thumbnails)


@pytest.mark.django_db
def test_nudenet_runs_on_every_frame_and_finds_nothing_in_plain_scenes(api: Client, served: object) -> None:
    for category in ("hard_nudity", "soft_nudity"):
        task = run(api, url=served.url("scenes.mp4"), category=category)
        assert task["status"] == "SUCCESS", task["result"]
        assert task["result"] == {"nudity_detected": False, "detection_results": [], "frames": []}


@pytest.mark.parametrize("size", [(360, 640), (1080, 1920), (500, 500), (200, 900)])
def test_nudenet_sees_frames_exactly_as_the_nudenet_package_shows_them(size: tuple[int, int]) -> None:
    """Our onnxruntime runner prepares a frame as nudenet's own code does (OpenCV there): the
    model gets the same input, so it answers as the package would."""
    import numpy as np
    from nudenet import nudenet as package
    from PIL import Image

    from aitasks.moderation.backends import NudeNet

    height, width = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    picture = np.stack([128 + 100 * np.sin(xs / 7), 128 + 100 * np.sin(ys / 5), 128 + 100 * np.sin((xs + ys) / 9)], -1)
    picture = picture.astype(np.uint8)
    ours = NudeNet("soft_nudity", 1)._prepare(Image.fromarray(picture))
    theirs = package._read_image(np.ascontiguousarray(picture[:, :, ::-1]), 320)[0][0]  # it reads BGR, as cv2 does
    assert ours.shape == theirs.shape == (3, 320, 320)
    assert np.abs(ours - theirs).max() < 0.004  # OpenCV's fixed-point rounding


@pytest.mark.django_db
def test_a_stop_object_ends_the_scan_at_the_first_frame_that_shows_it(
    api: Client, served: object, settings: object
) -> None:
    settings.AITASKS_MODERATION_BACKENDS = f"soft_nudity={PLUGGED}"  # type: ignore[attr-defined]
    whole = run(api, url=served.url("scenes.mp4"), category="soft_nudity")["result"]
    assert [frame["frame_number"] for frame in whole["frames"]] == [50, 100]
    stopped = run(api, url=served.url("scenes.mp4"), category="soft_nudity", stop_objects="BELLY_EXPOSED:0.6")
    assert stopped["result"]["frames"] == [
        {"confidence": whole["frames"][0]["confidence"], "frame_number": 50, "label": "BELLY_EXPOSED"}
    ]
    stored = Task.objects.get(pk=stopped["task_id"]).result
    assert stored["stopped_by"] == "BELLY_EXPOSED" and stored["frames_scored"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "reason"),
    [("audio-only.mp4", "no video track"), ("page.html", "not a media file"), ("empty.mp4", "file is empty")],
)
def test_a_file_without_video_frames_fails_with_a_readable_reason(
    api: Client, served: object, name: str, reason: str
) -> None:
    task = run(api, url=served.url(name), category="nsfw")
    assert task["status"] == "FAILURE"
    assert reason in task["result"]["error"]


@pytest.mark.django_db
def test_a_queued_task_whose_category_was_switched_off_fails_at_once(user: object, settings: object) -> None:
    task = make_task(
        user,
        task_name="content-moderation",
        category="sport",
        url="http://127.0.0.1/a.mp4",
        status=Status.PENDING,
    )
    assert process_task(str(task.pk)) == "failure"
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.FAILURE, 1)
    assert "'sport' is not enabled" in task.error


@pytest.mark.django_db
def test_thumbnails_are_served_to_their_owner_only(
    client: Client, api: Client, served: object, settings: object, user: object, other_user: object
) -> None:
    settings.AITASKS_MODERATION_BACKENDS = f"sport={PLUGGED}"  # type: ignore[attr-defined]
    task_id = run(api, url=served.url("scenes.mp4"), category="sport")["task_id"]
    client.force_login(user)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    assert f"/tasks/{task_id}/frames/50.jpg".encode() in page.content
    image = client.get(f"/tasks/{task_id}/frames/50.jpg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert client.get(f"/tasks/{task_id}/frames/51.jpg").status_code == 404
    client.force_login(other_user)
    assert client.get(f"/tasks/{task_id}/frames/50.jpg").status_code == 404
    assert client.get(f"/tasks/{task_id}").status_code == 404
    client.logout()
    assert client.get(f"/tasks/{task_id}/frames/50.jpg").status_code == 302  # to the login page


# --- the dashboard ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_generate_form_offers_content_moderation_with_the_supported_categories(
    client: Client, user: object, django_capture_on_commit_callbacks: object
) -> None:
    client.force_login(user)
    page = client.get("/").content.decode()
    assert '<option value="content-moderation">Content moderation</option>' in page
    assert '<option value="nsfw">NSFW</option>' in page and 'value="sport"' not in page
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        # The form posts every field; each task type keeps only its own.
        for task_name in ("content-moderation", "transcription"):
            form = {"url": "http://a.io/x.mp4", "task_name": task_name, "audio_language": "ger", "category": "nsfw"}
            assert client.post("/tasks/new", form).status_code == 302
    moderation, transcription = Task.objects.order_by("created_at")
    assert (moderation.task_name, moderation.category, moderation.audio_language) == ("content-moderation", "nsfw", "")
    assert (transcription.task_name, transcription.category, transcription.audio_language) == (
        "transcription",
        "",
        "ger",
    )
    assert moderation.status == Status.PENDING
    table = client.get("/", {"task_name": "content-moderation"}).content.decode()
    assert "Content moderation" in table and "1 task" in table


# --- Gcore's SDK in strict mode --------------------------------------------------------------


@pytest.fixture
def sdk(live_server: object, api_key: str) -> Gcore:
    return Gcore(api_key=api_key, base_url=live_server.url, max_retries=0, _strict_response_validation=True)


@pytest.mark.django_db(transaction=True)
def test_the_sdk_reads_every_category_s_result_in_strict_mode(sdk: Gcore, served: object, settings: object) -> None:
    def moderate(category: str, **extra: str) -> object:
        task_id = sdk.streaming.ai_tasks.create(
            task_name="content-moderation", category=category, url=served.url("scenes.mp4"), **extra
        ).task_id
        process_task(task_id)
        done = sdk.streaming.ai_tasks.get(task_id)
        assert done.status == "SUCCESS" and done.task_data.category == category
        return done.result

    nsfw = moderate("nsfw", client_user_id="u1")
    assert isinstance(nsfw, AITaskGetResponseResultAIResultsContentmoderationNsfw)
    assert nsfw.nsfw_detected is False and nsfw.frames == []
    hard = moderate("hard_nudity", stop_objects="FEMALE_BREAST_EXPOSED")
    assert isinstance(hard, AITaskGetResponseResultAIResultsContentmoderationHardnudity)
    assert hard.nudity_detected is False

    settings.AITASKS_MODERATION_BACKENDS = f"soft_nudity={PLUGGED}, sport={PLUGGED}"  # type: ignore[attr-defined]
    soft = moderate("soft_nudity")
    assert isinstance(soft, AITaskGetResponseResultAIResultsContentmoderationSoftnudity)
    assert soft.nudity_detected is True and soft.detection_results == ["BELLY_EXPOSED"]
    sport = moderate("sport")
    assert isinstance(sport, AITaskGetResponseResultAIResultsContentmoderationSport)
    assert sport.sport_detected is True and sport.detection_results == ["football"]
    assert [(frame.frame_number, frame.label) for frame in sport.frames] == [(50, "football"), (100, "football")]
    listed = sdk.streaming.ai_tasks.list(task_name="content-moderation")
    assert len(listed.results) == 4


@pytest.mark.django_db(transaction=True)
def test_the_sdk_gets_a_422_for_a_category_that_is_not_enabled_and_asks_which_are(sdk: Gcore) -> None:
    with pytest.raises(UnprocessableEntityError):
        sdk.streaming.ai_tasks.create(task_name="content-moderation", category="sport", url="http://127.0.0.1/a.mp4")
    info = sdk.streaming.ai_tasks.get_ai_settings(type="content_moderation", extra_query={"category": "sport"})  # type: ignore[arg-type]
    assert info.supported is False
    info = sdk.streaming.ai_tasks.get_ai_settings(type="content_moderation")  # type: ignore[arg-type]
    assert info.supported is True and info.categories == ["nsfw", "hard_nudity", "soft_nudity"]  # type: ignore[attr-defined]


def test_a_malformed_backends_setting_fails_loudly(settings: object) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from aitasks.moderation.backends import backends, supported_categories

    settings.AITASKS_MODERATION_BACKENDS = "sport"  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="expected <category>=<dotted path>"):
        backends()
    settings.AITASKS_MODERATION_BACKENDS = "sport=nowhere.Scorer"  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="cannot import nowhere.Scorer"):
        supported_categories()
