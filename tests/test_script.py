"""Chinese subtitles in one script per task (OpenCC)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aitasks.jobs import transcription_job
from aitasks.models import ChineseScript, Task
from aitasks.pipeline import script, subtitles
from aitasks.pipeline.transcribe import TimedWord
from tests.conftest import TASK_URL, make_task, signed_in

# Whisper's Chinese from one clip to the next: Traditional here, Simplified there.
MIXED = [
    TimedWord(0, 500, "這個", "chi"),
    TimedWord(500, 900, "國家", "chi"),
    TimedWord(1000, 1400, "我们", "chi"),
    TimedWord(1400, 1900, "说话", "chi"),
    TimedWord(2000, 2400, " Hello", "eng"),
]


def test_chinese_is_simplified_by_default() -> None:
    words = script.one_script(MIXED, "simplified")
    assert "".join(word.text for word in words[:4]) == "这个国家我们说话"
    assert words[4] == MIXED[4]  # other languages untouched
    assert [(word.start_ms, word.end_ms) for word in words] == [(word.start_ms, word.end_ms) for word in MIXED]


@pytest.mark.parametrize("variant", ["traditional", "taiwan", "hongkong"])
def test_traditional_when_the_operator_asks_for_it(variant: str) -> None:
    text = "".join(word.text for word in script.one_script(MIXED, variant)[:4])
    assert text.startswith("這個國家我們")
    assert script.convert(text, "simplified") == "这个国家我们说话"


def test_an_unknown_script_is_refused() -> None:
    with pytest.raises(script.UnknownScript, match="simplified"):
        script.one_script(MIXED, "klingon")


def test_a_bad_setting_stops_the_service_at_start() -> None:
    environment = {**os.environ, "AITASKS_CHINESE_SCRIPT": "cyrillic", "SECRET_KEY": "test"}
    done = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "AITASKS_CHINESE_SCRIPT must be simplified, traditional, taiwan or hongkong" in done.stderr


# --- a task's own choice (`chinese_script`) ---------------------------------------------------


def chinese_cues(task: Task) -> str:
    """The text of the Chinese cues that the pipeline's last stages make of MIXED for the task."""
    words = script.one_script(MIXED, transcription_job(task).chinese_script)
    return "".join(cue.text for cue in subtitles.build_cues(words) if cue.language == "chi")


def create(api: object, **fields: str) -> object:
    body = {"task_name": "transcription", "url": TASK_URL, "audio_language": "chi", **fields}
    return api.post("/streaming/ai/tasks", data=json.dumps(body), content_type="application/json")  # type: ignore[attr-defined]


def test_the_scripts_a_task_may_ask_for_are_the_ones_the_pipeline_writes() -> None:
    assert set(ChineseScript.values) == set(script.SCRIPTS)


@pytest.mark.django_db
def test_a_task_that_asks_for_traditional_gets_traditional_cues(api: object, settings: object) -> None:
    settings.AITASKS_CHINESE_SCRIPT = "simplified"  # type: ignore[attr-defined]
    response = create(api, chinese_script="traditional")
    assert response.status_code == 200, response.content
    task = Task.objects.get(pk=response.json()["task_id"])
    assert task.chinese_script == "traditional"
    shown = api.get(f"/streaming/ai/tasks/{task.pk}").json()  # type: ignore[attr-defined]
    assert shown["task_data"]["chinese_script"] == "traditional"
    assert chinese_cues(task) == "這個國家我們說話"


@pytest.mark.django_db
def test_a_task_that_does_not_ask_gets_the_installations_script(api: object, settings: object) -> None:
    response = create(api)
    task = Task.objects.get(pk=response.json()["task_id"])
    assert task.chinese_script == ""
    assert "chinese_script" not in api.get(f"/streaming/ai/tasks/{task.pk}").json()["task_data"]  # type: ignore[attr-defined]
    assert chinese_cues(task) == "这个国家我们说话"
    # Read when the task runs: an operator who changes the setting changes waiting tasks too.
    settings.AITASKS_CHINESE_SCRIPT = "hongkong"  # type: ignore[attr-defined]
    assert transcription_job(task).chinese_script == "hongkong"
    assert chinese_cues(task).startswith("這個國家我們")


@pytest.mark.django_db
def test_an_unknown_chinese_script_is_a_400(api: object) -> None:
    for value in ("cyrillic", "Traditional", "zh-Hant"):
        response = create(api, chinese_script=value)
        assert response.status_code == 400
        assert response.json()["error"] == "chinese_script: must be one of simplified, traditional, taiwan, hongkong"
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_the_generate_task_form_offers_the_choice_and_the_details_show_it(user: object, settings: object) -> None:
    settings.AITASKS_CHINESE_SCRIPT = "simplified"  # type: ignore[attr-defined]
    editor = signed_in(user)
    page = editor.get("/").content.decode()
    assert 'name="chinese_script"' in page and "This installation&#x27;s (Simplified)" in page
    data = {"task_name": "transcription", "url": TASK_URL, "chinese_script": "taiwan"}
    assert editor.post("/tasks/new", data).status_code == 302
    task = Task.objects.get(owner=user)
    assert task.chinese_script == "taiwan"
    assert "Traditional (Taiwan)" in editor.get(f"/tasks/{task.pk}").content.decode()
    assert "Chinese script" not in editor.get(f"/tasks/{make_task(user).pk}").content.decode()
