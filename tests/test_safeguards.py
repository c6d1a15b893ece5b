"""Whisper's safeguards on recorded model output (faster-whisper, base, batched decoding).

The texts and scores below were recorded from the batched decoder on clips made with espeak-ng:
twelve "uh"s, one second apart, came back as forty; eight slow "or"s as "Art" eight times. The
policy runs over a decoder that replays such output (`RecordedDecoder`): what it decodes again,
drops and collapses does not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aitasks.engines.base import Segment
from aitasks.engines.safeguards import (
    DecodedSegment,
    DecodedWord,
    Verdict,
    collapse_repeats,
    compression_ratio,
    decode_with_safeguards,
    has_loop,
    invented_by_the_fallback,
    is_phantom,
    judge,
    repeated_runs,
    sounds_unlike_speech,
    unheard,
)
from tests import media
from tests.test_repetitions import SEVEN_FOR_SIX, SIX_ALONE, SPOKEN, Recorded
from tests.test_repetitions import UH_LOOP as UH_LOOP_WORDS

# (text, avg_logprob, no_speech_prob) of one window each, as recorded.
UH_LOOP = (" uh" * 40, -0.21, 0.83)
ART_LOOP = (" Art Art Art Art Art Art Art Art", -0.52, 0.6)
SPEECH = (
    " The price is 3.5 dollars, an all in deal. Don't worry, it's a well-known state of the art plan.",
    -0.31,
    0.01,
)


def words_of(text: str) -> list[str]:
    return [" " + word for word in text.split()]


def test_a_window_that_loops_is_decoded_again() -> None:
    text, logprob, no_speech = UH_LOOP
    assert compression_ratio(text) > 2.4
    assert judge(text, words_of(text), logprob, no_speech) is Verdict.DECODE_AGAIN


def test_a_loop_that_compresses_too_little_for_whisper_is_still_caught() -> None:
    # Eight words: below Whisper's compression threshold of 2.4, yet a loop.
    text, logprob, no_speech = ART_LOOP
    assert compression_ratio(text) < 2.4
    assert has_loop(words_of(text))
    assert judge(text, words_of(text), logprob, no_speech) is Verdict.DECODE_AGAIN


def test_ordinary_speech_is_kept_as_decoded() -> None:
    text, logprob, no_speech = SPEECH
    assert judge(text, words_of(text), logprob, no_speech) is Verdict.KEEP


def test_improbable_text_is_decoded_again_and_improbable_silence_dropped() -> None:
    text = " I'm not sure if I'll be able to do that."
    assert judge(text, words_of(text), -1.3, 0.1) is Verdict.DECODE_AGAIN
    assert judge(text, words_of(text), -1.3, 0.7) is Verdict.NOT_SPEECH
    assert judge(text, words_of(text), -0.4, 0.7) is Verdict.KEEP  # confident words: speech after all


def test_runs_are_found_with_their_shortest_phrase() -> None:
    tokens = "and or or or or or then so and so and so and so and so end".split()
    assert repeated_runs(tokens) == [(1, 1, 5), (7, 2, 4)]  # "so and" four times
    assert repeated_runs("a b a b a b".split()) == []  # three times is speech, not a loop
    assert has_loop(["你", "好", "好", "好", "好"])


def test_the_last_resort_keeps_one_copy_of_a_looping_phrase() -> None:
    words = words_of("Well, or, or, or, or, or, or, or, or, we could go.")
    assert "".join(collapse_repeats(words, str)) == " Well, or, we could go."
    # Punctuation-only words are not words: they neither break nor count in a run.
    assert "".join(collapse_repeats([" so", " so", "…", " so", " so", " yes"], str)) == " so yes"


def test_phantom_phrases_in_several_languages() -> None:
    for text in (
        " Thank you for watching!",
        " Thank you. Thank you.",
        " Untertitel im Auftrag des ZDF für funk, 2017",
        " Sous-titres réalisés par la communauté d'Amara.org",
        " Subtítulos realizados por la comunidad de Amara.org",
        "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        " ご視聴ありがとうございました",
        " Продолжение следует...",
    ):
        assert is_phantom(text), text
    for text in (" Thank you for the flowers.", SPEECH[0], " Danke, dass Sie gekommen sind."):
        assert not is_phantom(text), text


def test_a_phantom_is_dropped_only_where_whisper_hears_no_speech() -> None:
    # "Thank you." recorded on music: unsure words; said by a speaker: sure words, no doubt of speech.
    assert sounds_unlike_speech(0.05, [0.31, 0.42])
    assert sounds_unlike_speech(0.45, [0.9, 0.95])
    assert not sounds_unlike_speech(0.02, [0.97, 0.99])


# Recorded on 8 s of synthetic applause (tests/media.py, seed 3) given to the model whole: the
# batched decoder's "I don't know what that is." (log-prob -1.50, no-speech 0.55) was decoded
# again, and Whisper's sequential decoder wrote one sentence twice, at temperature 0.
CLAPS_SENTENCE = " I don't know what you're going to do, but I'm going to have to do it."
CLAPS_FIRST = [0.06, 0.54, 0.32, 0.15, 0.3, 0.09, 0.94, 0.43, 0.45, 0.26, 0.24, 0.97, 0.06, 0.69, 0.08, 0.22]
CLAPS_AGAIN = [0.24, 0.56, 0.49, 0.43, 0.82, 0.78, 0.99, 0.91, 0.58, 0.65, 0.73, 0.99, 0.62, 0.98, 0.74, 0.92]


def test_the_fallbacks_sentence_on_claps_is_taken_for_invented_text() -> None:
    # Just probable enough for Whisper's rule (-0.98), but its words are guesses.
    assert invented_by_the_fallback(CLAPS_SENTENCE, -0.98, CLAPS_FIRST, previous_text="")
    # Surer words the second time, but the same sentence again over the same claps.
    assert invented_by_the_fallback(CLAPS_SENTENCE, -0.98, CLAPS_AGAIN, previous_text=CLAPS_SENTENCE)
    # Improbable at every temperature.
    assert invented_by_the_fallback(" Thanks.", -1.4, [0.9], previous_text="")


def test_a_sentence_sampled_over_probable_non_speech_must_be_sure() -> None:
    # 8 s of claps (no-speech 0.52, recorded): sampling at a higher temperature now and then wrote a
    # fluent sentence that passed Whisper's own rule (log-prob above -1) with middling words.
    words = [0.55, 0.5, 0.62, 0.48, 0.51, 0.6, 0.58]
    sentence = " I'm not sure if I can make it."
    assert invented_by_the_fallback(sentence, -0.9, words, "", temperature=0.6, no_speech_prob=0.52)
    # The same at temperature 0 (the model's own first choice) or where speech is likely is kept,
    assert not invented_by_the_fallback(sentence, -0.9, words, "", temperature=0.0, no_speech_prob=0.52)
    assert not invented_by_the_fallback(sentence, -0.9, words, "", temperature=0.6, no_speech_prob=0.1)
    # and so is a sampled sentence the model is sure of.
    assert not invented_by_the_fallback(sentence, -0.3, words, "", temperature=0.6, no_speech_prob=0.52)


def test_speech_the_fallback_heard_is_kept() -> None:
    # A slow speaker's sentence, decoded again after its loop: sure words, a new sentence.
    words = [0.91, 0.88, 0.95, 0.72, 0.99, 0.84]
    assert not invented_by_the_fallback(" And so we went on to the next one.", -0.31, words, previous_text=" Or, or.")
    # Unsure but not guessed: noisy speech keeps its words.
    assert not invented_by_the_fallback(" The meeting starts at nine.", -0.8, [0.5, 0.45, 0.6, 0.41], "")


def test_stretches_without_words_are_found_at_the_end_and_in_the_middle() -> None:
    # Recorded on 27 s of FLEURS (one window, three speakers): the batched decoder wrote the first
    # sentence (words 7.7-14.9 s) and stopped; another window skipped its middle sentence.
    assert unheard((7.7, 30.8), [(7.7, 8.1), (8.1, 14.9)]) == [(14.9, 30.8)]
    assert unheard((0.0, 20.0), [(0.2, 5.0), (11.0, 19.5)]) == [(5.0, 11.0)]
    assert unheard((0.0, 20.0), [(0.2, 5.0), (6.5, 19.5)]) == []  # a short pause is not speech passed over
    assert unheard((0.0, 6.0), []) == [(0.0, 6.0)]


# --- the policy, over a decoder that replays recorded output -------------------------------

Clip = tuple[float, float]
SAMPLES = np.zeros(16_000 * 31, dtype=np.float32)  # the policy hands the audio to the decoder only


def decoded(
    text: str,
    start: float,
    end: float,
    avg_logprob: float = -0.3,
    no_speech_prob: float = 0.02,
    probabilities: list[float] | None = None,
    temperature: float = 0.0,
) -> DecodedSegment:
    """A segment as a decoder writes it, its words spread evenly over `start`-`end`."""
    texts = words_of(text)
    step = (end - start) / len(texts)
    probabilities = probabilities or [0.9] * len(texts)
    words = tuple(
        DecodedWord(start + index * step, start + (index + 1) * step, word, probability)
        for index, (word, probability) in enumerate(zip(texts, probabilities, strict=True))
    )
    return DecodedSegment(start, end, text, avg_logprob, no_speech_prob, temperature, words)


class RecordedDecoder:
    """The two operations of an engine, replaying what the batched and the sequential decoder
    wrote for each clip, and noting what they were asked."""

    def __init__(
        self, batched: dict[Clip, list[DecodedSegment]], alone: dict[Clip, list[DecodedSegment]] | None = None
    ) -> None:
        self.batched = batched
        self.alone = alone or {}
        self.batches: list[list[Clip]] = []
        self.decoded_alone: list[Clip] = []

    def decode_batch(
        self, samples: np.ndarray, clips: list[Clip], options: Mapping[str, Any]
    ) -> list[list[DecodedSegment]]:
        self.batches.append(list(clips))
        return [self.batched.get(clip, []) for clip in clips]

    def decode_alone(self, samples: np.ndarray, clip: Clip, options: Mapping[str, Any]) -> list[DecodedSegment]:
        self.decoded_alone.append(clip)
        return self.alone[clip]


def safeguarded(decoder: RecordedDecoder, clips: list[Clip]) -> list[Segment]:
    return list(decode_with_safeguards(decoder, SAMPLES, clips, {"language": "en"}))


def text_of(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def test_a_window_that_loops_is_decoded_again_alone() -> None:
    text, logprob, no_speech = UH_LOOP
    clip = (0.0, 12.0)
    decoder = RecordedDecoder(
        batched={clip: [decoded(text, 0.0, 12.0, logprob, no_speech)]},
        alone={clip: [decoded(" Uh, uh, uh.", 0.4, 3.2)]},
    )
    segments = safeguarded(decoder, [clip])
    assert decoder.decoded_alone == [clip]
    assert text_of(segments) == " Uh, uh, uh."
    assert [(word.start_ms, word.end_ms) for word in segments[0].words] == [(400, 1333), (1333, 2267), (2267, 3200)]


def test_ordinary_speech_is_kept_as_the_batch_decoded_it() -> None:
    text, logprob, no_speech = SPEECH
    clip = (1.0, 9.0)
    decoder = RecordedDecoder(batched={clip: [decoded(text, 1.2, 8.6, logprob, no_speech)]})
    segments = safeguarded(decoder, [clip])
    assert decoder.decoded_alone == [] and decoder.batches == [[clip]]
    assert text_of(segments) == text
    assert (segments[0].start_ms, segments[0].end_ms) == (1200, 8600)


def test_a_window_whisper_takes_for_non_speech_is_dropped() -> None:
    clip = (0.0, 6.0)
    text = " I'm not sure if I'll be able to do that."
    decoder = RecordedDecoder(batched={clip: [decoded(text, 0.0, 6.0, avg_logprob=-1.3, no_speech_prob=0.7)]})
    assert safeguarded(decoder, [clip]) == []
    assert decoder.decoded_alone == []  # not speech: nothing to decode again


def test_a_phantom_phrase_over_audio_unlike_speech_is_dropped() -> None:
    music, speaker = (0.0, 5.0), (5.0, 10.0)
    decoder = RecordedDecoder(
        batched={
            music: [decoded(" Thank you for watching!", 1.0, 3.0, -0.6, 0.05, [0.31, 0.42, 0.35, 0.4])],
            speaker: [decoded(" Thank you for watching!", 6.0, 8.0, -0.2, 0.02, [0.97, 0.99, 0.98, 0.96])],
        }
    )
    segments = safeguarded(decoder, [music, speaker])
    assert [(segment.start_ms, segment.text) for segment in segments] == [(6000, " Thank you for watching!")]


def test_text_the_fallback_invents_on_claps_is_dropped() -> None:
    clip = (0.0, 8.0)
    decoder = RecordedDecoder(
        batched={clip: [decoded(" I don't know what that is.", 0.0, 8.0, -1.5, 0.55)]},
        alone={
            clip: [
                decoded(CLAPS_SENTENCE, 0.0, 4.0, -0.98, 0.3, CLAPS_FIRST),
                decoded(CLAPS_SENTENCE, 4.0, 8.0, -0.98, 0.3, CLAPS_AGAIN),
            ]
        },
    )
    assert safeguarded(decoder, [clip]) == []
    assert decoder.decoded_alone == [clip]


def test_a_sentence_the_fallback_only_sampled_over_probable_non_speech_is_dropped() -> None:
    # The claps recorded above (no-speech 0.52): a window improbable in the batch, then the
    # fallback's sentence with middling words; dropped when sampled, kept as the model's own first
    # choice (temperature 0).
    sampled, first_choice = (0.0, 8.0), (8.0, 16.0)
    sentence, words = " I'm not sure if I can make it.", [0.55, 0.5, 0.62, 0.48, 0.51, 0.6, 0.58, 0.55]
    decoder = RecordedDecoder(
        batched={
            clip: [decoded(" Thank you for the music.", clip[0], clip[1], -1.2, 0.52)]
            for clip in (sampled, first_choice)
        },
        alone={
            sampled: [decoded(sentence, 1.0, 4.0, -0.9, 0.52, words, temperature=0.6)],
            first_choice: [decoded(sentence, 9.0, 12.0, -0.9, 0.52, words, temperature=0.0)],
        },
    )
    segments = safeguarded(decoder, [sampled, first_choice])
    assert decoder.decoded_alone == [sampled, first_choice]
    assert [(segment.start_ms, segment.text) for segment in segments] == [(9000, sentence)]


def test_a_stretch_without_words_is_decoded_in_a_second_batch() -> None:
    # As recorded on FLEURS: the batched decoder wrote the first sentence and stopped.
    clip, rest = (7.7, 30.8), (14.9, 30.8)
    first, second = " Der erste Satz ist hier zu Ende.", " Der zweite Satz kommt danach."
    decoder = RecordedDecoder(batched={clip: [decoded(first, 7.7, 14.9)], rest: [decoded(second, 15.2, 29.5)]})
    segments = safeguarded(decoder, [clip])
    assert decoder.batches == [[clip], [rest]]
    assert text_of(segments) == first + second
    assert all(a.start_ms <= b.start_ms for a, b in zip(segments, segments[1:], strict=False))


def test_a_window_without_any_word_is_not_decoded_again() -> None:
    clip = (0.0, 20.0)
    decoder = RecordedDecoder(batched={})  # the batched decoder wrote nothing for it
    assert safeguarded(decoder, [clip]) == []
    assert decoder.batches == [[clip]] and decoder.decoded_alone == []


def test_a_loop_surviving_the_fallback_is_collapsed_to_one_copy() -> None:
    clip = (0.0, 10.0)
    loop = " Well, or, or, or, or, or, or, or, or, we could go."
    decoder = RecordedDecoder(
        batched={clip: [decoded(loop, 0.0, 10.0, -0.4, 0.1)]}, alone={clip: [decoded(loop, 0.0, 10.0, -0.4, 0.1)]}
    )
    segments = safeguarded(decoder, [clip])
    assert decoder.decoded_alone == [clip]
    assert text_of(segments) == " Well, or, we could go."
    assert (segments[0].start_ms, segments[0].end_ms) == (0, 10000)


def test_windows_come_out_in_the_order_they_went_in() -> None:
    clips = [(0.0, 5.0), (5.0, 10.0), (10.0, 15.0)]
    decoder = RecordedDecoder(
        batched={clips[0]: [decoded(" One.", 1.0, 2.0)], clips[2]: [decoded(" Three.", 11.0, 12.0)]}
    )
    assert [segment.text for segment in safeguarded(decoder, clips)] == [" One.", " Three."]


# --- repetitions: spoken ones stay, loops go -------------------------------------------------

SOUND = media.tone(31.0)  # sound under every word: what tells the repetitions apart is their timing


def recorded_segment(recorded: Recorded, avg_logprob: float = -0.4, no_speech_prob: float = 0.1) -> DecodedSegment:
    words = tuple(DecodedWord(start, end, text, probability) for text, start, end, probability in recorded)
    text = "".join(word.text for word in words)
    return DecodedSegment(words[0].start, words[-1].end, text, avg_logprob, no_speech_prob, 0.0, words)


def test_a_spoken_repetition_is_kept_as_the_batch_decoded_it() -> None:
    clip = (0.0, 6.5)
    decoder = RecordedDecoder(batched={clip: [recorded_segment(SPOKEN, -0.39, 0.09)]})
    segments = list(decode_with_safeguards(decoder, SOUND, [clip], {"language": "en"}))
    assert decoder.decoded_alone == []
    assert text_of(segments) == " I said. Words, words, words, words. That is all."


def test_a_spoken_repetition_written_once_too_often_loses_only_the_extra_copy() -> None:
    # Seven "word"s for six, the seventh squeezed into 0.16 s: the six heard stay as the batch
    # decoded them, without decoding the window again (the sequential decoder often wrote the
    # phrase once: "Ja, das stimmt." for "ja, ja, ja, ja, das stimmt").
    clip = (0.0, 5.5)
    decoder = RecordedDecoder(
        batched={clip: [recorded_segment(SEVEN_FOR_SIX, -0.63, 0.36)]},
        alone={clip: [recorded_segment(SIX_ALONE, -0.45, 0.36)]},
    )
    segments = list(decode_with_safeguards(decoder, SOUND, [clip], {"language": "en"}))
    assert decoder.decoded_alone == []
    assert text_of(segments) == " word" * 6


def test_a_repetition_the_fallback_decodes_again_is_not_collapsed_afterwards() -> None:
    # Ten "word"s squeezed into 0.2 s: a loop, decoded again; the six Whisper's sequential
    # decoder wrote are speech, and stay.
    clip = (0.0, 5.5)
    squeezed = [(" word", 0.02 * index, 0.02 * (index + 1), 0.9) for index in range(10)]
    decoder = RecordedDecoder(
        batched={clip: [recorded_segment(squeezed, -0.63, 0.36)]},
        alone={clip: [recorded_segment(SIX_ALONE, -0.45, 0.36)]},
    )
    segments = list(decode_with_safeguards(decoder, SOUND, [clip], {"language": "en"}))
    assert decoder.decoded_alone == [clip]
    assert text_of(segments) == " Words, words, words, words, words, words."


def test_the_same_repetition_over_silence_is_collapsed() -> None:
    clip = (0.0, 6.5)
    decoder = RecordedDecoder(batched={clip: [recorded_segment(SPOKEN)]}, alone={clip: [recorded_segment(SPOKEN)]})
    assert text_of(safeguarded(decoder, [clip])) == " I said. Words, That is all."
    assert decoder.decoded_alone == [clip]


def test_a_loop_of_squeezed_words_is_collapsed_even_over_sound() -> None:
    clip = (0.0, 29.1)
    decoder = RecordedDecoder(
        batched={clip: [recorded_segment(UH_LOOP_WORDS)]}, alone={clip: [recorded_segment(UH_LOOP_WORDS)]}
    )
    segments = list(decode_with_safeguards(decoder, SOUND, [clip], {"language": "en"}))
    assert text_of(segments) == " uh"


def test_a_symbol_whisper_writes_as_its_own_word_is_kept() -> None:
    # Recorded: "There is a 12% chance of rain tomorrow." came out "There is a 12 chance ...".
    clip = (0.0, 4.0)
    recorded = [
        (" There", 0.0, 0.7, 0.75), (" is", 0.7, 0.82, 0.98), (" a", 0.82, 0.94, 0.97), (" 12", 0.94, 1.34, 0.92),
        ("%", 1.34, 1.84, 0.93), (" chance", 1.84, 2.3, 0.98), (" of", 2.3, 2.5, 0.88), (" rain", 2.5, 2.72, 0.74),
        (" tomorrow.", 2.72, 3.16, 0.97),
    ]  # fmt: skip
    decoder = RecordedDecoder(batched={clip: [recorded_segment(recorded, -0.13, 0.08)]})
    assert text_of(safeguarded(decoder, [clip])) == " There is a 12% chance of rain tomorrow."
