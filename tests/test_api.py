"""The Gcore-compatible JSON API, through the test client (api-contract §1)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from aitasks.models import ApiKey, Status, Task
from tests.conftest import TASK_URL, make_task

pytestmark = pytest.mark.django_db

URL = TASK_URL


def post(client: Client, path: str, body: object) -> object:
    return client.post(path, data=json.dumps(body), content_type="application/json")


# --- authentication ----------------------------------------------------------------------


def test_it_answers_401_without_a_key() -> None:
    response = Client().get("/streaming/ai/tasks")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid or missing API key"}
    assert response["Content-Type"] == "application/json"


def test_it_answers_401_for_a_wrong_key(user: object) -> None:
    response = Client(HTTP_AUTHORIZATION="APIKey ait_not-a-real-key").get("/streaming/ai/tasks")
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["APIKey", "apikey", "APIKEY", "ApiKey"])
def test_it_accepts_the_scheme_in_any_case(api_key: str, scheme: str) -> None:
    response = Client(HTTP_AUTHORIZATION=f"{scheme} {api_key}").get("/streaming/ai/tasks")
    assert response.status_code == 200


def test_a_revoked_key_stops_working_at_once(api: Client, user: object) -> None:
    assert api.get("/streaming/ai/tasks").status_code == 200
    ApiKey.objects.get(user=user).revoke()
    assert api.get("/streaming/ai/tasks").status_code == 401


def test_a_key_of_an_inactive_user_is_refused(api: Client, user: object) -> None:
    user.is_active = False
    user.save()
    assert api.get("/streaming/ai/tasks").status_code == 401


def test_only_the_hash_of_a_key_is_stored(user: object) -> None:
    api_key, key = ApiKey.issue(user)
    stored = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert key not in json.dumps(stored, default=str)
    assert len(stored["key_hash"]) == 64


def test_a_session_login_is_not_enough_for_the_api(user: object) -> None:
    client = Client()
    client.force_login(user)
    assert client.get("/streaming/ai/tasks").status_code == 401


# --- create ------------------------------------------------------------------------------


def test_create_queues_the_task_and_answers_its_id(
    api: Client, user: object, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api,
            "/streaming/ai/tasks",
            {
                "task_name": "transcription",
                "url": URL,
                "audio_language": "deu",
                "subtitles_language": "eng",
                "client_user_id": "u1",
                "client_entity_data": "e1",
            },
        )
    assert response.status_code == 200
    task = Task.objects.get(pk=uuid.UUID(response.json()["task_id"]))
    assert (task.owner, task.audio_language, task.subtitles_language) == (user, "ger", "eng")
    assert task.status == Status.PENDING
    assert OrmQ.objects.count() == 1  # on the worker queue, not done in the request


def test_the_legacy_transcribe_path_needs_no_task_name(api: Client) -> None:
    response = post(api, "/streaming/ai/transcribe", {"url": URL})
    assert response.status_code == 200
    assert Task.objects.get(pk=response.json()["task_id"]).task_name == "transcription"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"task_name": "transcription"}, "url"),
        ({"task_name": "transcription", "url": ""}, "url"),
        ({"task_name": "transcription", "url": "ftp://example.com/a.mp4"}, "http"),
        ({"task_name": "transcription", "url": "file:///etc/passwd"}, "http"),
        ({"task_name": "translation", "url": URL}, "task_name"),
        ({"task_name": "content-moderation", "url": URL, "category": "gore"}, "category must be one of"),
        ({"url": URL}, "task_name"),
        ({"task_name": "transcription", "url": URL, "audio_language": "xx"}, "unknown language"),
        ({"task_name": "transcription", "url": URL, "subtitles_language": "english"}, "unknown language"),
        ({"task_name": "transcription", "url": URL, "client_user_id": "x" * 257}, "client_user_id"),
        ({"task_name": "transcription", "url": URL, "client_entity_data": "x" * 4097}, "client_entity_data"),
        ({"task_name": "transcription", "url": URL, "audio_language": 7}, "must be a string"),
        ({"task_name": "transcription", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, "not video files"),
    ],
)
def test_create_answers_400_for_an_invalid_request(api: Client, body: dict, message: str) -> None:
    response = post(api, "/streaming/ai/tasks", body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Task.objects.exists()


def test_create_answers_400_for_malformed_json(api: Client) -> None:
    response = api.post("/streaming/ai/tasks", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "malformed JSON body"}


def test_create_answers_400_for_a_form_body(api: Client) -> None:
    response = api.post("/streaming/ai/tasks", data={"task_name": "transcription", "url": URL})
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]


def test_create_refuses_the_101st_unfinished_task(api: Client, user: object) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL) for _ in range(100))
    response = post(api, "/streaming/ai/tasks", {"task_name": "transcription", "url": URL})
    assert response.status_code == 400
    assert response.json() == {"error": "Queue limit reached (100), try later"}


def test_finished_tasks_do_not_count_against_the_queue_limit(api: Client, user: object) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL, status=Status.SUCCESS) for _ in range(100))
    assert post(api, "/streaming/ai/tasks", {"task_name": "transcription", "url": URL}).status_code == 200


def test_get_and_put_on_an_unknown_method_answer_405(api: Client) -> None:
    assert api.put("/streaming/ai/tasks").status_code == 405
    assert api.get("/streaming/ai/transcribe").status_code == 405


def test_paths_have_no_trailing_slash(api: Client) -> None:
    assert post(api, "/streaming/ai/tasks", {"task_name": "transcription", "url": URL}).status_code == 200
    assert api.get("/streaming/ai/tasks/").status_code == 404


# --- get -----------------------------------------------------------------------------------


def test_a_pending_task_has_the_contract_shape(api: Client, user: object) -> None:
    task = make_task(user, status=Status.PENDING, client_user_id="u1")
    body = api.get(f"/streaming/ai/tasks/{task.pk}").json()
    assert body == {
        "task_id": str(task.pk),
        "task_name": "transcription",
        "status": "PENDING",
        "progress": 0,
        "processing_time": {"started_at": None, "completed_at": None, "total_time_sec": None},
        "task_data": {"task_name": "transcription", "url": URL, "client_user_id": "u1", "client_id": user.pk},
        "result": None,
    }


def test_a_finished_task_carries_subtitles_vtt_and_text(api: Client, user: object) -> None:
    started = timezone.now() - timedelta(seconds=12)
    task = make_task(
        user,
        status=Status.SUCCESS,
        progress=100,
        started_at=started,
        completed_at=started + timedelta(seconds=10, milliseconds=500),
        result={
            "cues": [
                {"start": 9, "end": 3689, "lines": ["Come on team!"], "language": "eng"},
                {"start": 3800, "end": 6000, "lines": ["Fish & chips", "<tonight>"], "language": "eng"},
            ],
            "languages": ["eng"],
            "speech_detected": True,
        },
    )
    body = api.get(f"/streaming/ai/tasks/{task.pk}").json()
    assert body["status"] == "SUCCESS"
    assert body["processing_time"]["total_time_sec"] == 10.5
    assert body["processing_time"]["started_at"].endswith("Z")
    result = body["result"]
    assert result["subtitles"][0] == {
        "start_time": "00:00:00.009",
        "end_time": "00:00:03.689",
        "text": "Come on team!",
        "language": "eng",
    }
    assert result["vttContent"] == (
        "WEBVTT\n\n1\n00:00:00.009 --> 00:00:03.689\nCome on team!\n\n"
        "2\n00:00:03.800 --> 00:00:06.000\nFish &amp; chips\n&lt;tonight&gt;\n\n"
    )
    assert result["concatenated_text"] == "Come on team! Fish & chips <tonight>"
    assert result["languages"] == ["eng"]
    assert result["speech_detected"] is True


def test_a_failed_task_carries_its_reason(api: Client, user: object) -> None:
    task = make_task(user, status=Status.FAILURE, error="cannot download url: HTTP 404")
    assert api.get(f"/streaming/ai/tasks/{task.pk}").json()["result"] == {"error": "cannot download url: HTTP 404"}


def test_the_results_path_is_an_alias(api: Client, user: object) -> None:
    task = make_task(user)
    assert api.get(f"/streaming/ai/results/{task.pk}").json() == api.get(f"/streaming/ai/tasks/{task.pk}").json()


def test_other_users_tasks_are_not_found(api: Client, other_user: object) -> None:
    task = make_task(other_user)
    for path in (f"/streaming/ai/tasks/{task.pk}", f"/streaming/ai/results/{task.pk}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "not found"}
    assert api.post(f"/streaming/ai/tasks/{task.pk}/cancel", content_type="application/json").status_code == 404
    assert api.get("/streaming/ai/tasks", {"task_id": str(task.pk)}).json()["results"] == []
    assert Task.objects.get(pk=task.pk).status == Status.RECEIVED


def test_a_malformed_id_is_not_found(api: Client) -> None:
    assert api.get("/streaming/ai/tasks/not-a-uuid").status_code == 404


# --- list ----------------------------------------------------------------------------------


def test_the_list_is_newest_first_with_ten_per_page(api: Client, user: object) -> None:
    now = timezone.now()
    tasks = [make_task(user, created_at=now - timedelta(minutes=i)) for i in range(12)]
    body = api.get("/streaming/ai/tasks").json()
    assert body["count"] == 12
    assert [item["task_id"] for item in body["results"]] == [str(task.pk) for task in tasks[:10]]
    assert body["next"] == "page=2"
    assert body["previous"] is None
    assert "result" not in body["results"][0]
    assert body["results"][0]["processing_time"] == {"started_at": None, "completed_at": None, "total_time_sec": None}


def test_a_page_past_the_end_is_empty_not_an_error(api: Client, user: object) -> None:
    make_task(user)
    response = api.get("/streaming/ai/tasks", {"page": 5, "limit": 10})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_list_filters_by_status_name_and_id(api: Client, user: object) -> None:
    done = make_task(user, status=Status.SUCCESS)
    make_task(user, status=Status.FAILURE)
    assert [t["task_id"] for t in api.get("/streaming/ai/tasks", {"status": "SUCCESS"}).json()["results"]] == [
        str(done.pk)
    ]
    assert api.get("/streaming/ai/tasks", {"task_name": "transcription"}).json()["count"] == 2
    assert api.get("/streaming/ai/tasks", {"task_id": str(done.pk)}).json()["count"] == 1


def test_search_finds_url_text_and_id(api: Client, user: object) -> None:
    by_url = make_task(user, url="http://s3.eu-west-1.amazonaws.com/bucket/talk.mp4")
    by_text = make_task(user, text="the quarterly results were excellent")
    other = make_task(user)

    def found(term: str) -> set[str]:
        return {t["task_id"] for t in api.get("/streaming/ai/tasks", {"search": term}).json()["results"]}

    assert found("eu-west-1") == {str(by_url.pk)}
    assert found("QUARTERLY") == {str(by_text.pk)}
    assert found(str(other.pk)) == {str(other.pk)}
    assert found(str(other.pk)[:8]) == {str(other.pk)}


def test_the_list_orders_by_the_requested_field(api: Client, user: object) -> None:
    make_task(user, status=Status.SUCCESS)
    make_task(user, status=Status.FAILURE)
    statuses = [t["status"] for t in api.get("/streaming/ai/tasks", {"ordering": "status"}).json()["results"]]
    assert statuses == ["FAILURE", "SUCCESS"]
    statuses = [t["status"] for t in api.get("/streaming/ai/tasks", {"ordering": "-status"}).json()["results"]]
    assert statuses == ["SUCCESS", "FAILURE"]


@pytest.mark.parametrize(
    "query", [{"page": "0"}, {"limit": "1000"}, {"ordering": "url; drop"}, {"status": "DONE"}, {"task_id": "x"}]
)
def test_the_list_answers_400_for_bad_parameters(api: Client, query: dict) -> None:
    response = api.get("/streaming/ai/tasks", query)
    assert response.status_code == 400
    assert response.json()["error"]


# --- cancel --------------------------------------------------------------------------------


def test_cancel_revokes_an_unfinished_task(api: Client, user: object) -> None:
    task = make_task(user, status=Status.PENDING)
    response = api.post(f"/streaming/ai/tasks/{task.pk}/cancel", content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"result": "task revoked"}
    task.refresh_from_db()
    assert task.status == Status.REVOKED
    assert api.get(f"/streaming/ai/tasks/{task.pk}").json()["result"] == {"error": "the task was cancelled"}


def test_cancel_of_a_finished_task_is_a_400(api: Client, user: object) -> None:
    task = make_task(user, status=Status.SUCCESS)
    response = api.post(f"/streaming/ai/tasks/{task.pk}/cancel", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "task already finished"}
    assert Task.objects.get(pk=task.pk).status == Status.SUCCESS


# --- info ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "supported"),
    [
        ({"audio_language": "eng"}, True),
        ({"audio_language": "deu"}, True),
        ({"audio_language": "ger", "subtitles_language": "eng"}, True),
        ({"audio_language": "ger", "subtitles_language": "ger"}, True),
        ({"audio_language": "eng", "subtitles_language": "uzb"}, False),
        ({"audio_language": "klingon"}, False),
        ({"subtitles_language": "eng"}, True),
    ],
)
def test_info_says_truthfully_what_is_supported(api: Client, query: dict, supported: bool) -> None:
    response = api.get("/streaming/ai/info", {"type": "language_support", **query})
    assert response.json() == {"supported": supported}


def test_info_needs_a_key() -> None:
    assert Client().get("/streaming/ai/info", {"type": "language_support"}).status_code == 401


# --- idempotency ---------------------------------------------------------------------------


def test_a_retried_create_with_the_same_idempotency_key_returns_the_same_task(api: Client) -> None:
    body = {"task_name": "transcription", "url": URL, "audio_language": "eng"}
    first = api.post(
        "/streaming/ai/tasks", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = api.post(
        "/streaming/ai/tasks", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Task.objects.count() == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(api: Client) -> None:
    body = {"task_name": "transcription", "url": URL}
    api.post("/streaming/ai/tasks", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = {**body, "url": URL + "?other"}
    response = api.post(
        "/streaming/ai/tasks", data=json.dumps(other), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 400
    assert "different request" in response.json()["error"]
    assert Task.objects.count() == 1


def test_idempotency_keys_are_per_account(api: Client, other_user: object) -> None:
    theirs = make_task(other_user, url=URL, idempotency_key="shared")
    body = {"task_name": "transcription", "url": URL}
    response = api.post(
        "/streaming/ai/tasks", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 200
    assert response.json()["task_id"] != str(theirs.pk)


def test_without_a_key_each_create_is_a_new_task(api: Client) -> None:
    body = {"task_name": "transcription", "url": URL}
    for _ in range(2):
        post(api, "/streaming/ai/tasks", body)
    assert Task.objects.count() == 2
