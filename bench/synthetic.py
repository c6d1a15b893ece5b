"""Issue 23: repetitions and symbols, on speech synthesized with espeak-ng (tests/media.speak).

A speaker who repeats a word must keep the repetition (the safeguards against repetition loops
must not eat it), and what Whisper writes as a symbol or a number ("twelve percent" → "12%")
must survive our pipeline as it does plain faster-whisper. Sentences are written in their spoken
form (espeak reads symbols its own way), the symbol being what Whisper usually writes for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

RATE = 16_000
PAUSE_S = 0.6

# (voice, text, the repeated word's written forms, how many times it is said)
REPEATS = [
    ("en-us", "words, words, words, words", ("words",), 4),
    ("en-us", "one two three three three four", ("three", "3"), 3),
    ("de", "ja, ja, ja, ja, das stimmt", ("ja",), 4),
    ("es", "no, no, no, no, no quiero", ("no",), 5),
]

# Per voice: sentences (spoken form) and the symbol Whisper would write, with accepted variants.
SYMBOLS = {
    "en-us": [
        ("Prices rose by twelve percent last year.", "%", ("%",)),
        ("The ticket costs five euros.", "€", ("€",)),
        ("The book costs twenty dollars.", "$", ("$",)),
        ("It was thirty degrees outside.", "°", ("°",)),
        ("The total was one thousand point five.", "1,000.5", ("1,000.5", "1000.5")),
        ("The version is three point five.", "3.5", ("3.5",)),
        ("We are open twenty four seven.", "24/7", ("24/7",)),
        ("I write code in C plus plus.", "C++", ("C++",)),
        ("Send it to john at example dot com.", "e-mail", ("@",)),
    ],
    "fr": [
        ("Les prix ont augmenté de douze pour cent.", "%", ("%",)),
        ("Le billet coûte cinq euros.", "€", ("€",)),
        ("Il fait trente degrés dehors.", "°", ("°",)),
        ("La version est trois virgule cinq.", "3,5", ("3,5", "3.5")),
    ],
    "de": [
        ("Die Preise stiegen um zwölf Prozent.", "%", ("%",)),
        ("Die Karte kostet fünf Euro.", "€", ("€",)),
        ("Es ist dreißig Grad warm.", "°", ("°",)),
        ("Die Version ist drei Komma fünf.", "3,5", ("3,5", "3.5")),
    ],
    "es": [
        ("Los precios subieron un doce por ciento.", "%", ("%",)),
        ("La entrada cuesta cinco euros.", "€", ("€",)),
        ("Hace treinta grados afuera.", "°", ("°",)),
        ("La versión es tres coma cinco.", "3,5", ("3,5", "3.5")),
    ],
}

# ours(name, samples) -> (our text, our languages, the samples decoded); plain(name, samples) -> (text, language)
Ours = Callable[[str, np.ndarray], tuple[str, list[str], np.ndarray]]
Plain = Callable[[str, np.ndarray], tuple[str, str]]


def padded(samples: np.ndarray) -> np.ndarray:
    pause = np.zeros(int(PAUSE_S * RATE), dtype=np.float32)
    return np.concatenate([pause, samples, pause])


def short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_repeats(ours: Ours, plain: Plain) -> None:
    from textnorm import normalize

    from tests.media import speak

    started = time.perf_counter()
    print("\nrepetitions kept (issue 23, espeak-ng): times the repeated word appears, said / ours / plain")
    kept = lost = 0
    for voice, text, forms, said in REPEATS:
        samples = padded(speak(text, voice))
        name = f"repeat {voice}: {text}"
        our_text, our_languages, heard = ours(name, samples)
        plain_text, plain_language = plain(name, heard)
        language = voice.split("-")[0]
        counts = [sum(token in forms for token in normalize(t, language)) for t in (our_text, plain_text)]
        flag = "LOST" if counts[0] < min(said, counts[1]) else ""
        kept += counts[0] >= said
        lost += bool(flag)
        print(f"  {voice:<6} {text!r:<36} {said} / {counts[0]} / {counts[1]} {flag}")
        print(f"         ours  [{','.join(our_languages) or '-'}]: {short(our_text)}")
        print(f"         plain [{plain_language}]: {short(plain_text)}")
    verdict = "met" if not lost else "MISSED"
    print(
        f"  repetitions kept in full by ours: {kept}/{len(REPEATS)}; fewer than plain kept: {lost} (target 0: {verdict})"
        f"; {time.perf_counter() - started:.0f} s"
    )


def run_symbols(ours: Ours, plain: Plain) -> None:
    from tests.media import speak

    started = time.perf_counter()
    print("\nsymbols and numbers (issue 23, espeak-ng; sentences in their spoken form, one clip per voice)")
    lost_total = 0
    for voice, sentences in SYMBOLS.items():
        pause = np.zeros(int(PAUSE_S * RATE), dtype=np.float32)
        parts = []
        for sentence, _symbol, _forms in sentences:
            parts += [speak(sentence, voice), pause]
        samples = padded(np.concatenate(parts))
        name = f"symbols {voice}"
        our_text, our_languages, heard = ours(name, samples)
        plain_text, plain_language = plain(name, heard)
        marks = []
        for _sentence, symbol, forms in sentences:
            in_ours = any(form in our_text for form in forms)
            in_plain = any(form in plain_text for form in forms)
            lost = in_plain and not in_ours
            lost_total += lost
            marks.append(f"{symbol} {'y' if in_ours else 'n'}/{'y' if in_plain else 'n'}{' LOST' if lost else ''}")
        print(f"  {voice}: symbol ours/plain: " + ", ".join(marks))
        print(f"    ours  [{','.join(our_languages) or '-'}]: {our_text}")
        print(f"    plain [{plain_language}]: {plain_text}")
    verdict = "met" if not lost_total else "MISSED"
    print(
        f"  symbols plain wrote and ours lost: {lost_total} (target 0: {verdict}); {time.perf_counter() - started:.0f} s"
    )
