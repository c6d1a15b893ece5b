"""The real model on minutes of speech, as editors' videos are: marked slow (`.venv/bin/pytest -m slow`).

The default suite transcribes short clips; these check what only shows on long media: cues
that keep the broadcast rules over minutes, timing that does not drift, and code-switching
that follows several changes of language.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from aitasks.models import Status
from aitasks.pipeline.subtitles import CueRules
from aitasks.worker import process_task
from tests import media
from tests.conftest import make_task
from tests.heard import assert_heard

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TALK = [
    "Welcome to the morning briefing of the city library. This week we open the new reading room on the "
    "second floor, with long tables, quiet corners and good light from the windows facing the river.",
    "The reading room keeps the same hours as the rest of the building. It opens at nine in the morning "
    "and closes at eight in the evening, except on Sundays, when everything closes at four.",
    "Many of you asked about the old newspapers. They have moved to the basement archive, where the "
    "temperature stays low and the paper lasts longer. You can still read them: ask at the front desk.",
    "On Thursday afternoon a local historian will talk about the bridges of the city, how they were "
    "built, which ones were lost in the floods, and why the oldest one still carries traffic today.",
    "Children are welcome on Saturday mornings for stories and drawing. Parents can stay in the café "
    "next door, which now serves soup and fresh bread at lunch time.",
    "The library is also looking for volunteers. If you have a few hours a week, you could help us sort "
    "donated books, read to children, or show older visitors how to find articles on the computers.",
    "Our small garden behind the building is open again after the winter. The benches have been painted, "
    "the roses are coming back, and there is a new fountain that the birds seem to like very much.",
    "Some of you have noticed the scaffolding on the east side. The roof is being repaired before the "
    "autumn rain, and the work should be finished in about six weeks, if the weather stays kind to us.",
    "We also want to thank everyone who answered our survey last month. The most common wish was more "
    "places to sit, and the second was longer opening hours in the summer, which we are now planning.",
    "Finally, please remember that books borrowed before the holidays are due back at the end of the "
    "month. Thank you for listening, and we hope to see you in the new reading room very soon.",
]

ENGLISH_PARTS = [
    "Good evening and welcome to our travel programme. Tonight we follow the river from the mountains "
    "to the sea, stopping in small towns along the way to meet the people who live there.",
    "That was our first stop. Next we travel further north, where the river grows wide and slow, and "
    "the farmers grow apples, pears and plums on the hills above the water.",
]
GERMAN_PARTS = [
    "Guten Abend. Wir sind jetzt in einer kleinen Stadt am Fluss. Hier arbeiten viele Menschen auf den "
    "Schiffen, und jeden Morgen öffnet der Markt auf dem alten Platz vor der Kirche.",
    "Im Herbst kommen viele Besucher, um die Äpfel zu kaufen. Die Bauern verkaufen auch frischen Saft "
    "und Kuchen. Vielen Dank und bis zum nächsten Mal.",
]
ENGLISH_KEY_WORDS = "evening welcome travel programme river mountains sea towns people north farmers apples hills water"
GERMAN_KEY_WORDS = (
    "abend stadt fluss menschen schiffen morgen markt platz kirche herbst besucher äpfel bauern saft kuchen"
)


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def run(user: object, url: str) -> dict:
    task = make_task(user, url=url, status=Status.PENDING)
    process_task(str(task.pk))
    task.refresh_from_db()
    assert task.status == Status.SUCCESS, task.error
    return task.to_dict()


def seconds(timestamp: str) -> float:
    hours, minutes, rest = timestamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.fixture(scope="module")
def talk_url(media_server: object) -> tuple[str, float]:
    pieces = [media.silence(1.0)]
    for paragraph in TALK:
        pieces += [media.speak(paragraph), media.silence(1.2)]
    audio = np.concatenate(pieces)
    media.write_mp4(media_server.root / "talk.mp4", [audio])
    return media_server.url("talk.mp4"), len(audio) / media.RATE


@pytest.fixture(scope="module")
def switching_url(media_server: object) -> str:
    pieces = [media.silence(0.5)]
    for english, german in zip(ENGLISH_PARTS, GERMAN_PARTS, strict=True):
        pieces += [media.speak(english), media.silence(1.0), media.speak(german, voice="de+m3", speed=130)]
        pieces.append(media.silence(1.0))
    media.write_mp4(media_server.root / "travel.mp4", [np.concatenate(pieces)])
    return media_server.url("travel.mp4")


def test_minutes_of_speech_keep_their_words_timing_and_cue_rules(user: object, talk_url: tuple[str, float]) -> None:
    url, duration = talk_url
    assert duration > 120
    task = run(user, url)
    result = task["result"]
    assert result["languages"] == ["eng"]

    heard = set(words(result["concatenated_text"]))
    expected = words(" ".join(TALK))
    recall = sum(word in heard for word in expected) / len(expected)
    assert recall >= 0.9, result["concatenated_text"]

    cues = result["subtitles"]
    quality = result["quality"]
    assert quality["cues"] == len(cues) >= 30
    assert quality["within_rules"] / quality["cues"] >= 0.98, quality
    rules = CueRules()
    times = [(seconds(cue["start_time"]), seconds(cue["end_time"])) for cue in cues]
    for (start, end), (next_start, _next_end) in zip(times, times[1:], strict=False):
        assert start < end <= next_start  # in order, never overlapping
    assert all(end - start <= rules.max_duration_ms / 1000 for start, end in times)
    vtt_lines = [line for line in result["vttContent"].split("\n") if line and "-->" not in line]
    assert all(len(line) <= rules.max_line_chars for line in vtt_lines)  # the cue numbers are lines too
    # No drift: the last words are heard where they are spoken, at the end of the file.
    assert duration - 4 < times[-1][1] <= duration
    assert_heard(cues[-1]["text"] + " " + cues[-2]["text"], "hope see you new reading room very soon", share=0.5)
    assert task["processing_time"]["total_time_sec"] > 0


def test_several_changes_of_language_are_followed(user: object, switching_url: str) -> None:
    result = run(user, switching_url)["result"]
    # Both languages, by speech time (espeak's slower German is the longer: about 24 s to 22 s).
    detection = {entry["language"]: entry["speech_seconds"] for entry in result["language_detection"]}
    assert sorted(result["languages"]) == ["eng", "ger"]
    assert result["languages"] == sorted(detection, key=detection.__getitem__, reverse=True)
    order = [cue["language"] for cue in result["subtitles"]]
    changes = [language for index, language in enumerate(order) if index == 0 or order[index - 1] != language]
    assert changes == ["eng", "ger", "eng", "ger"]
    german = " ".join(cue["text"] for cue in result["subtitles"] if cue["language"] == "ger").lower()
    english = " ".join(cue["text"] for cue in result["subtitles"] if cue["language"] == "eng").lower()
    assert_heard(german, GERMAN_KEY_WORDS, share=0.5)
    assert_heard(english, ENGLISH_KEY_WORDS, share=0.5)
    assert detection["eng"] > 15 and detection["ger"] > 15
    # Each part's first words ("Guten Abend.", "That was our first stop.") are in its language.
    first_german = next(cue for cue in result["subtitles"] if cue["language"] == "ger")
    assert "abend" in first_german["text"].lower()
