"""The ISO-639-2 table: 99 languages, B and T codes, Whisper's codes."""

from __future__ import annotations

import pytest

from aitasks import languages
from aitasks.languages import LANGUAGES, UnknownLanguage


def test_there_are_99_languages() -> None:
    assert len(LANGUAGES) == 99


def test_every_code_is_three_lower_case_letters_and_unique() -> None:
    codes = [language.code for language in LANGUAGES]
    terminology = [language.terminology_code for language in LANGUAGES if language.terminology_code]
    assert len(set(codes)) == len(codes)
    assert len(set(codes + terminology)) == len(codes) + len(terminology)  # no T code is another's B code
    assert all(len(code) == 3 and code.isascii() and code.isalpha() and code.islower() for code in codes + terminology)


def test_a_terminology_code_is_given_only_where_it_differs() -> None:
    assert all(language.terminology_code != language.code for language in LANGUAGES)


def test_whisper_codes_are_unique() -> None:
    whisper_codes = [language.whisper_code for language in LANGUAGES]
    assert len(set(whisper_codes)) == len(whisper_codes)


def test_the_table_is_sorted_by_code() -> None:
    codes = [language.code for language in LANGUAGES]
    assert codes == sorted(codes)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ger", "ger"),
        ("deu", "ger"),
        ("DEU", "ger"),
        ("Ger", "ger"),
        ("fra", "fre"),
        ("fre", "fre"),
        ("zho", "chi"),
        ("chi", "chi"),
        ("nld", "dut"),
        ("ces", "cze"),
        ("ell", "gre"),
        ("mya", "bur"),
        ("cym", "wel"),
        ("eng", "eng"),
        ("ENG", "eng"),
        (" eng ", "eng"),
    ],
)
def test_b_and_t_codes_in_any_case_normalise_to_the_b_code(code: str, expected: str) -> None:
    assert languages.normalize(code) == expected


def test_every_b_and_t_code_is_accepted() -> None:
    for language in LANGUAGES:
        assert languages.get(language.code) is language
        assert languages.get(language.code.upper()) is language
        if language.terminology_code:
            assert languages.get(language.terminology_code) is language
            assert languages.normalize(language.terminology_code.title()) == language.code


@pytest.mark.parametrize("code", ["xxx", "en", "english", "", "e n g", "zh-CN"])
def test_an_unknown_code_raises_unknown_language(code: str) -> None:
    with pytest.raises(UnknownLanguage, match="unknown language code"):
        languages.get(code)
    with pytest.raises(UnknownLanguage):
        languages.normalize(code)


def test_unknown_language_is_a_value_error() -> None:
    assert issubclass(UnknownLanguage, ValueError)


def test_it_finds_languages_by_whisper_code() -> None:
    assert languages.from_whisper("de").code == "ger"  # type: ignore[union-attr]
    assert languages.from_whisper("jw").code == "jav"  # type: ignore[union-attr]
    assert languages.from_whisper("haw").code == "haw"  # type: ignore[union-attr]
    assert languages.from_whisper("yue") is None


def test_whisper_codes_are_those_of_faster_whisper() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    ours = {language.whisper_code for language in LANGUAGES}
    assert ours <= set(_LANGUAGE_CODES)
    assert set(_LANGUAGE_CODES) - ours <= {"yue"}  # Cantonese came with large-v3, after these 99


def test_choices_are_b_codes_sorted_by_name() -> None:
    choices = languages.choices()
    assert len(choices) == 99
    assert [name for _, name in choices] == sorted(name for _, name in choices)
    assert ("ger", "German") in choices


def test_the_scripts_without_spaces_between_words_are_marked() -> None:
    assert languages.UNSPACED_LANGUAGES == {"chi", "jpn", "tha", "lao", "khm", "bur", "tib"}


@pytest.mark.parametrize(("code", "limit"), [("chi", 16), ("kor", 16), ("jpn", 13), ("eng", 42), ("", 42), ("xxx", 42)])
def test_a_subtitle_line_is_narrower_only_where_the_script_needs_it(code: str, limit: int) -> None:
    assert languages.max_line_chars(code, default=42) == limit
