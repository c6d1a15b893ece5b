"""Chinese subtitles in one script per task (OpenCC)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aitasks.pipeline import script
from aitasks.pipeline.transcribe import TimedWord

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
