"""Language bookkeeping and translation planning: pure functions, no model."""

from __future__ import annotations

import numpy as np
import pytest

from aitasks.engines.base import EngineError
from aitasks.engines.translation import parse_models
from aitasks.pipeline import language, translate
from aitasks.pipeline.speech import Span
from aitasks.pipeline.transcribe import TimedWord

RATE = 16_000


def span(start_s: float, end_s: float) -> Span:
    return Span(int(start_s * RATE), int(end_s * RATE))


def guess(start_s: float, end_s: float, **scores: float) -> language.Guess:
    return language.Guess(span(start_s, end_s), scores)


def test_agreeing_confident_windows_mean_one_language() -> None:
    assert language.is_monolingual([guess(0, 30, eng=0.97), guess(30, 60, eng=0.91)])


def test_a_doubtful_or_different_window_means_a_closer_look() -> None:
    assert not language.is_monolingual([guess(0, 30, eng=0.97), guess(30, 60, eng=0.6, ger=0.3)])
    assert not language.is_monolingual([guess(0, 30, eng=0.97), guess(30, 60, ger=0.95)])


def test_each_stretch_keeps_its_own_confident_language() -> None:
    guesses = [guess(0, 5, eng=0.95), guess(5, 12, ger=0.9), guess(12, 18, eng=0.93)]
    assert language.assign(guesses) == ["eng", "ger", "eng"]


def test_a_low_confidence_stretch_does_not_flip_the_language() -> None:
    guesses = [guess(0, 5, eng=0.95), guess(5, 9, dut=0.35, ger=0.3), guess(9, 15, eng=0.9)]
    assert language.assign(guesses) == ["eng", "eng", "eng"]


def test_a_short_stretch_takes_its_neighbours_language() -> None:
    guesses = [guess(0, 5, ger=0.9), guess(5, 5.6, eng=0.99), guess(5.6, 12, ger=0.92)]
    assert language.assign(guesses) == ["ger", "ger", "ger"]


def test_a_stray_language_below_the_minimum_share_is_dropped() -> None:
    guesses = [guess(0, 20, eng=0.95), guess(20, 21.5, dut=0.8), guess(21.5, 60, eng=0.9)]
    assert language.assign(guesses) == ["eng", "eng", "eng"]


def test_an_unsure_first_stretch_takes_the_following_language() -> None:
    guesses = [guess(0, 3, tha=0.3, ger=0.25), guess(3, 10, ger=0.9)]
    assert language.assign(guesses) == ["ger", "ger"]


def test_a_short_stretch_between_two_languages_joins_the_closer_one() -> None:
    guesses = [guess(0, 5, eng=0.95), guess(6.2, 7), guess(7.3, 12, ger=0.9)]
    assert language.assign(guesses) == ["eng", "ger", "ger"]
    guesses = [guess(0, 5, eng=0.95), guess(5.2, 6), guess(7.3, 12, ger=0.9)]
    assert language.assign(guesses) == ["eng", "eng", "ger"]


def test_a_short_doubtful_stretch_at_a_change_joins_the_language_it_runs_into() -> None:
    # espeak's "Guten Morgen." (1.2 s), 0.1 s before German, heard alone as English at 0.51.
    guesses = [guess(2.1, 5.9, eng=0.89), guess(6.7, 7.9, eng=0.51, wel=0.13), guess(8.0, 13.4, ger=0.88)]
    assert language.assign(guesses) == ["eng", "ger", "ger"]
    # The same stretch said clearly stays as heard.
    guesses = [guess(2.1, 5.9, eng=0.89), guess(6.7, 7.9, eng=0.9), guess(8.0, 13.4, ger=0.88)]
    assert language.assign(guesses) == ["eng", "eng", "ger"]


def test_an_unsure_stretch_between_two_languages_follows_its_own_scores() -> None:
    guesses = [guess(0, 5, eng=0.95), guess(5.2, 8, dut=0.4, ger=0.35, eng=0.1), guess(9, 14, ger=0.9)]
    assert language.assign(guesses) == ["eng", "ger", "ger"]


def test_a_language_heard_only_with_doubt_is_not_added() -> None:
    guesses = [
        guess(0, 20, eng=0.9),
        guess(20, 35, ger=0.85),
        guess(35, 39, yid=0.5, ger=0.3),  # long enough, but never clearly Yiddish
        guess(39, 45, ger=0.8),
    ]
    assert language.assign(guesses) == ["eng", "ger", "ger", "ger"]


def test_languages_are_ranked_by_confident_speech_time() -> None:
    ranking = language.rank([guess(0, 10, eng=0.9), guess(10, 40, ger=0.8), guess(40, 45, eng=0.9)])
    assert [code for code, _weight in ranking] == ["ger", "eng"]


def test_decoding_windows_never_mix_two_languages() -> None:
    plan = language.LanguagePlan(
        [(span(0, 4), "eng"), (span(4.5, 8), "eng"), (span(8.5, 12), "ger"), (span(12.2, 14), "eng")],
        ranking=[("eng", 9.0), ("ger", 3.0)],
        per_region=True,
    )
    windows = plan.windows()
    assert [(round(w.start_s, 1), round(w.end_s, 1), code) for w, code in windows] == [
        (0.0, 8.0, "eng"),
        (8.5, 12.0, "ger"),
        (12.2, 14.0, "eng"),
    ]
    assert plan.spoken() == ["eng", "ger"]
    assert plan.report()[0] == {"language": "eng", "speech_seconds": 9.3, "confidence": 0.968}


def test_windows_stay_within_thirty_seconds() -> None:
    plan = language.fixed([span(index * 10, index * 10 + 9.5) for index in range(9)], "eng")
    assert all(window.seconds <= 30 for window, _code in plan.windows())


# --- translation planning ------------------------------------------------------------------


def test_no_target_or_the_same_language_is_plain_transcription() -> None:
    assert translate.plan("ger", "") == translate.Plan("ger", "ger")
    assert translate.plan("ger", "ger").whisper_task == "transcribe"


def test_english_comes_from_whispers_own_translation() -> None:
    plan = translate.plan("ger", "eng")
    assert (plan.whisper_task, plan.whisper_output, plan.text_translator) == ("translate", "eng", None)


def test_a_pair_without_an_installed_model_fails_naming_the_pair() -> None:
    with pytest.raises(translate.UnsupportedTranslation, match="translation eng => uzb is not supported"):
        translate.plan("eng", "uzb")
    assert not translate.is_supported("eng", "uzb")
    assert not translate.is_supported(None, "fre")


@pytest.fixture
def installed_models(settings: object) -> None:
    from aitasks import plugins

    settings.AITASKS_TRANSLATION_BACKEND = "tests.fakes.FakeTranslator"
    settings.AITASKS_TRANSLATION_MODELS = "ger>fre=/models/de-fr, eng>spa=/models/en-es"
    plugins.forget()
    yield
    plugins.forget()


def test_an_installed_model_translates_its_pair_directly(installed_models: None) -> None:
    plan = translate.plan("ger", "fre")
    assert (plan.whisper_task, plan.text_translator.target) == ("transcribe", "fre")
    assert translate.is_supported("deu", "fra")


def test_a_model_from_english_serves_every_language_through_whisper(installed_models: None) -> None:
    plan = translate.plan("jpn", "spa")
    assert (plan.whisper_task, plan.whisper_output, plan.text_translator.source) == ("translate", "eng", "eng")
    assert translate.plan("eng", "spa").whisper_task == "transcribe"
    assert translate.is_supported(None, "spa")
    assert not translate.is_supported("jpn", "fre")


def test_translated_sentences_keep_the_time_of_their_original(installed_models: None) -> None:
    words = [
        TimedWord(0, 400, " Guten", "ger"),
        TimedWord(400, 1000, " Morgen.", "ger"),
        TimedWord(2000, 2500, " Wie", "ger"),
        TimedWord(2500, 3000, " geht's?", "ger"),
    ]
    translated = translate.translate_words(words, translate.plan("ger", "fre").text_translator)
    assert [word.text for word in translated] == [" [fre]", " Guten", " Morgen.", " [fre]", " Wie", " geht's?"]
    assert {word.language for word in translated} == {"fre"}
    assert (translated[0].start_ms, translated[2].end_ms) == (0, 1000)
    assert (translated[3].start_ms, translated[5].end_ms) == (2000, 3000)
    assert all(a.end_ms <= b.start_ms for a, b in zip(translated, translated[1:], strict=False))


@pytest.mark.parametrize(
    ("value", "message"),
    [("ger-fre=/x", "unknown language"), ("ger>fre", "needs '=<model directory>'"), ("xx>eng=/x", "unknown language")],
)
def test_a_bad_translation_setting_is_refused_clearly(value: str, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        parse_models(value)


def test_translation_settings_accept_terminology_codes() -> None:
    assert list(parse_models("deu>fra=/srv/m")) == [("ger", "fre")]


class CountingEngine:
    """Records which clips language ID ran on; hears German where the samples are 0.5."""

    def __init__(self) -> None:
        self.clip_seconds: list[float] = []

    def detect_languages(self, samples: np.ndarray, clips: list) -> list[dict[str, float]]:
        heard = [samples[round(start * RATE) : round(end * RATE)] for start, end in clips]
        self.clip_seconds.extend(len(clip) / RATE for clip in heard)
        german_share = [float((clip == 0.5).mean()) for clip in heard]
        return [
            {"ger": 0.95} if share == 1 else {"eng": 0.95} if share == 0 else {"eng": 0.6, "ger": 0.4}
            for share in german_share
        ]


def test_code_switching_identifies_only_stretches_long_enough_to_trust() -> None:
    samples = np.zeros(17 * RATE, dtype=np.float32)
    samples[5 * RATE : 11 * RATE] = 0.5
    regions = [span(0, 4), span(4.2, 4.6), span(5, 11), span(11.2, 11.5), span(12, 16)]
    engine = CountingEngine()
    plan = language.plan(engine, samples, regions)
    assert plan.per_region  # the one sampled window mixes both languages
    assert sorted(round(seconds, 1) for seconds in engine.clip_seconds[1:]) == [4.0, 4.0, 6.0]  # no short ones
    assert [code for _span, code in plan.regions] == ["eng", "eng", "ger", "ger", "eng"]


class TelephoneEngine:
    """The whole window sounds German (0.86: not sure enough for one language); the one stretch
    long enough to hear alone is half-heard as English."""

    def detect_languages(self, samples: np.ndarray, clips: list) -> list[dict[str, float]]:
        return [{"ger": 0.86, "eng": 0.09} if end - start > 2.5 else {"eng": 0.35, "ger": 0.19} for start, end in clips]


def test_when_no_stretch_alone_is_sure_the_samples_decide() -> None:
    regions = [span(2.0, 3.0), span(6.0, 7.8)]
    plan = language.plan(TelephoneEngine(), np.zeros(10 * RATE, dtype=np.float32), regions)
    assert [code for _span, code in plan.regions] == ["ger", "ger"]
    assert plan.spoken() == ["ger"]
    assert plan.report()[0]["language"] == "ger" and plan.report()[0]["confidence"] > 0.8


def test_language_id_samples_the_windows_transcription_decodes_where_they_hold_the_speech() -> None:
    # A steady talk: its windows hold the speech that packed samples would (pauses of 0.2 s).
    regions = [span(index * 5, index * 5 + 4.8) for index in range(24)]
    windows = set(language.group_into_windows(regions))
    chosen = language.sample(regions)
    assert len(chosen) == language.MAX_WINDOWS and all(stretch in windows for stretch, _inside in chosen)
    # Sentences of 5 s, 2.5 s apart: windows of 20 s of speech (packed samples hold 30 s),
    # enough to tell the language.
    spaced = [span(index * 7.5, index * 7.5 + 5) for index in range(24)]
    assert all(stretch in set(language.group_into_windows(spaced)) for stretch, _inside in language.sample(spaced))
    # Short utterances 4 s apart: each is a window of its own, far less speech than a packed
    # sample of 30 s, so the packed speech is identified instead.
    sparse = [span(index * 6, index * 6 + 1.5) for index in range(40)]
    assert all(stretch not in set(language.group_into_windows(sparse)) for stretch, _inside in language.sample(sparse))


class HearingEngine:
    """Hears German where the samples are 0.5, English elsewhere; keeps the clips it was given."""

    def __init__(self) -> None:
        self.heard: list[np.ndarray] = []

    def detect_languages(self, samples: np.ndarray, clips: list) -> list[dict[str, float]]:
        self.heard += [samples[round(start * RATE) : round(end * RATE)] for start, end in clips]
        return [{"ger": 0.95} if (clip == 0.5).all() else {"eng": 0.95} for clip in self.heard[-len(clips) :]]


def test_a_sampled_window_is_heard_exactly_as_transcription_will_hear_it() -> None:
    from aitasks.pipeline.transcribe import heard_audio

    samples = np.random.default_rng(0).uniform(-0.1, 0.1, 100 * RATE).astype(np.float32)
    regions = [span(index * 3.3 + 0.7, index * 3.3 + 3.1) for index in range(30)]
    engine = HearingEngine()
    plan = language.plan(engine, samples, regions)
    assert not plan.per_region and plan.spoken() == ["eng"]
    transcribed = heard_audio(samples, [window for window, _code in plan.windows(len(samples))], regions)
    assert engine.heard and all(any(np.array_equal(clip, window) for window in transcribed) for clip in engine.heard)
