"""The 99 languages this service transcribes, as data.

One row per language: ISO-639-2/B code (what the API stores and echoes), ISO-639-2/T code
where it differs (accepted on input, used by Gcore's `/ai/info` docs), Whisper's code, English
name, whether Gcore lists the language for translation between non-English languages, and
what its script asks of the text:

- `unspaced`: written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
  Burmese, Tibetan), so words are joined without spaces and a line may break between any two;
- `max_line_chars`: a subtitle line's limit where the subtitle rules' default line is too
  wide for its characters: 16 for Chinese and Korean, 13 for Japanese.
"""

from __future__ import annotations

from typing import NamedTuple


class Language(NamedTuple):
    code: str  # ISO-639-2/B
    terminology_code: str  # ISO-639-2/T, "" when equal to the B code
    whisper_code: str
    name: str
    translatable: bool
    unspaced: bool = False
    max_line_chars: int | None = None  # None: the subtitle rules' default


LANGUAGES: tuple[Language, ...] = (
    Language("afr", "", "af", "Afrikaans", True),
    Language("alb", "sqi", "sq", "Albanian", False),
    Language("amh", "", "am", "Amharic", True),
    Language("ara", "", "ar", "Arabic", True),
    Language("arm", "hye", "hy", "Armenian", True),
    Language("asm", "", "as", "Assamese", True),
    Language("aze", "", "az", "Azerbaijani", True),
    Language("bak", "", "ba", "Bashkir", False),
    Language("baq", "eus", "eu", "Basque", True),
    Language("bel", "", "be", "Belarusian", True),
    Language("ben", "", "bn", "Bengali", True),
    Language("bos", "", "bs", "Bosnian", True),
    Language("bre", "", "br", "Breton", False),
    Language("bul", "", "bg", "Bulgarian", True),
    Language("bur", "mya", "my", "Myanmar", True, unspaced=True),
    Language("cat", "", "ca", "Catalan", True),
    Language("chi", "zho", "zh", "Chinese", True, unspaced=True, max_line_chars=16),
    Language("cze", "ces", "cs", "Czech", True),
    Language("dan", "", "da", "Danish", True),
    Language("dut", "nld", "nl", "Dutch", True),
    Language("eng", "", "en", "English", True),
    Language("est", "", "et", "Estonian", True),
    Language("fao", "", "fo", "Faroese", False),
    Language("fin", "", "fi", "Finnish", True),
    Language("fre", "fra", "fr", "French", True),
    Language("geo", "kat", "ka", "Georgian", True),
    Language("ger", "deu", "de", "German", True),
    Language("glg", "", "gl", "Galician", True),
    Language("gre", "ell", "el", "Greek", True),
    Language("guj", "", "gu", "Gujarati", True),
    Language("hat", "", "ht", "Haitian creole", False),
    Language("hau", "", "ha", "Hausa", False),
    Language("haw", "", "haw", "Hawaiian", False),
    Language("heb", "", "he", "Hebrew", True),
    Language("hin", "", "hi", "Hindi", True),
    Language("hrv", "", "hr", "Croatian", True),
    Language("hun", "", "hu", "Hungarian", True),
    Language("ice", "isl", "is", "Icelandic", True),
    Language("ind", "", "id", "Indonesian", True),
    Language("ita", "", "it", "Italian", True),
    Language("jav", "", "jw", "Javanese", True),
    Language("jpn", "", "ja", "Japanese", True, unspaced=True, max_line_chars=13),
    Language("kan", "", "kn", "Kannada", True),
    Language("kaz", "", "kk", "Kazakh", True),
    Language("khm", "", "km", "Khmer", True, unspaced=True),
    Language("kor", "", "ko", "Korean", True, max_line_chars=16),
    Language("lao", "", "lo", "Lao", True, unspaced=True),
    Language("lat", "", "la", "Latin", False),
    Language("lav", "", "lv", "Latvian", True),
    Language("lin", "", "ln", "Lingala", False),
    Language("lit", "", "lt", "Lithuanian", True),
    Language("ltz", "", "lb", "Luxembourgish", False),
    Language("mac", "mkd", "mk", "Macedonian", True),
    Language("mal", "", "ml", "Malayalam", True),
    Language("mao", "mri", "mi", "Maori", False),
    Language("mar", "", "mr", "Marathi", True),
    Language("may", "msa", "ms", "Malay", False),
    Language("mlg", "", "mg", "Malagasy", False),
    Language("mlt", "", "mt", "Maltese", True),
    Language("mon", "", "mn", "Mongolian", True),
    Language("nep", "", "ne", "Nepali", True),
    Language("nno", "", "nn", "Norwegian Nynorsk", True),
    Language("nor", "", "no", "Norwegian", False),
    Language("oci", "", "oc", "Occitan", False),
    Language("pan", "", "pa", "Punjabi", True),
    Language("per", "fas", "fa", "Persian", True),
    Language("pol", "", "pl", "Polish", True),
    Language("por", "", "pt", "Portuguese", True),
    Language("pus", "", "ps", "Pashto", True),
    Language("rum", "ron", "ro", "Romanian", True),
    Language("rus", "", "ru", "Russian", True),
    Language("san", "", "sa", "Sanskrit", False),
    Language("sin", "", "si", "Sinhala", False),
    Language("slo", "slk", "sk", "Slovak", True),
    Language("slv", "", "sl", "Slovenian", True),
    Language("sna", "", "sn", "Shona", True),
    Language("snd", "", "sd", "Sindhi", True),
    Language("som", "", "so", "Somali", True),
    Language("spa", "", "es", "Spanish", True),
    Language("srp", "", "sr", "Serbian", True),
    Language("sun", "", "su", "Sundanese", False),
    Language("swa", "", "sw", "Swahili", True),
    Language("swe", "", "sv", "Swedish", True),
    Language("tam", "", "ta", "Tamil", True),
    Language("tat", "", "tt", "Tatar", False),
    Language("tel", "", "te", "Telugu", True),
    Language("tgk", "", "tg", "Tajik", True),
    Language("tgl", "", "tl", "Tagalog", True),
    Language("tha", "", "th", "Thai", True, unspaced=True),
    Language("tib", "bod", "bo", "Tibetan", False, unspaced=True),
    Language("tuk", "", "tk", "Turkmen", False),
    Language("tur", "", "tr", "Turkish", True),
    Language("ukr", "", "uk", "Ukrainian", True),
    Language("urd", "", "ur", "Urdu", True),
    Language("uzb", "", "uz", "Uzbek", False),
    Language("vie", "", "vi", "Vietnamese", True),
    Language("wel", "cym", "cy", "Welsh", True),
    Language("yid", "", "yi", "Yiddish", False),
    Language("yor", "", "yo", "Yoruba", True),
)

_BY_CODE: dict[str, Language] = {}
for _language in LANGUAGES:
    _BY_CODE[_language.code] = _language
    if _language.terminology_code:
        _BY_CODE[_language.terminology_code] = _language
_BY_WHISPER: dict[str, Language] = {language.whisper_code: language for language in LANGUAGES}
# ISO-639-2/B codes of the languages written without spaces between words.
UNSPACED_LANGUAGES = frozenset(language.code for language in LANGUAGES if language.unspaced)


class UnknownLanguage(ValueError):
    pass


def get(code: str) -> Language:
    """The language for an ISO-639-2 code, B or T, in any letter case."""
    try:
        return _BY_CODE[code.strip().lower()]
    except KeyError:
        raise UnknownLanguage(f"unknown language code {code!r}: use an ISO-639-2 code such as 'eng'") from None


def normalize(code: str) -> str:
    """The ISO-639-2/B code for a B or T code (`deu` → `ger`)."""
    return get(code).code


def from_whisper(whisper_code: str) -> Language | None:
    """The language for one of Whisper's codes, or None for one we do not list (e.g. `yue`)."""
    return _BY_WHISPER.get(whisper_code)


def choices() -> list[tuple[str, str]]:
    """(B code, name) pairs sorted by name, for forms."""
    return sorted(((language.code, language.name) for language in LANGUAGES), key=lambda pair: pair[1])


def max_line_chars(code: str, default: int) -> int:
    """The most characters a subtitle line in `code` may have: `default` unless its script
    needs narrower lines (and for a code we do not list, such as "")."""
    language = _BY_CODE.get(code)
    return language.max_line_chars if language is not None and language.max_line_chars else default
