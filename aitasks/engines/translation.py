"""Text translation engines, for subtitles in a language Whisper cannot translate to.

Whisper translates speech to English by itself. Any other target needs a text translation
model that the operator installs; nothing is downloaded at run time. The built-in backend
runs CTranslate2 translation models — OPUS-MT (Marian) or NLLB converted with CTranslate2's
`ct2-transformers-converter` — from local directories, with their SentencePiece models:

    AITASKS_TRANSLATION_MODELS="ger>fre=/srv/models/opus-mt-de-fr, eng>spa=/srv/models/opus-mt-en-es"

Each entry is `source>target=directory` with ISO-639-2 codes. A directory holds `model.bin`
and `source.spm` + `target.spm` (OPUS-MT) or one `sentencepiece.bpe.model` (NLLB, whose
language tokens are then taken from the pair). A pair with an English side also serves
Whisper-pivoted pairs: speech in German, `eng>spa` installed → German speech is translated to
English by Whisper, then to Spanish by the model. `AITASKS_TRANSLATION_BACKEND` names another
backend class by dotted path (like Django's email backends).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from django.conf import settings

from .. import languages, plugins
from .base import EngineError

# NLLB's language tokens for the ISO-639-2/B codes (script-qualified FLORES-200 codes).
NLLB_CODES = {
    "eng": "eng_Latn", "ger": "deu_Latn", "fre": "fra_Latn", "spa": "spa_Latn", "ita": "ita_Latn",
    "por": "por_Latn", "dut": "nld_Latn", "rus": "rus_Cyrl", "ukr": "ukr_Cyrl", "pol": "pol_Latn",
    "chi": "zho_Hans", "jpn": "jpn_Jpan", "kor": "kor_Hang", "ara": "arb_Arab", "tur": "tur_Latn",
    "hin": "hin_Deva", "swe": "swe_Latn", "cze": "ces_Latn", "gre": "ell_Grek", "heb": "heb_Hebr",
}  # fmt: skip


class TextTranslator(Protocol):
    source: str  # ISO-639-2/B
    target: str

    def translate(self, sentences: list[str]) -> list[str]: ...


class CTranslate2Translator:
    def __init__(self, source: str, target: str, directory: Path) -> None:
        self.source, self.target, self.directory = source, target, directory
        self._translator: object | None = None

    def _load(self) -> None:
        import ctranslate2
        import sentencepiece

        if not (self.directory / "model.bin").is_file():
            raise EngineError(f"translation model {self.directory} has no model.bin")
        nllb = self.directory / "sentencepiece.bpe.model"
        spm_pair = (self.directory / "source.spm", self.directory / "target.spm")
        if nllb.is_file():
            self._source_spm = self._target_spm = sentencepiece.SentencePieceProcessor(model_file=str(nllb))
            self._nllb = (NLLB_CODES.get(self.source), NLLB_CODES.get(self.target))
            if None in self._nllb:
                raise EngineError(f"no NLLB language token for {self.source} or {self.target}")
        elif all(path.is_file() for path in spm_pair):
            self._source_spm = sentencepiece.SentencePieceProcessor(model_file=str(spm_pair[0]))
            self._target_spm = sentencepiece.SentencePieceProcessor(model_file=str(spm_pair[1]))
            self._nllb = None
        else:
            raise EngineError(
                f"translation model {self.directory} lacks source.spm/target.spm or sentencepiece.bpe.model"
            )
        from .whisper import resolve_device

        device, compute_type = resolve_device(settings.AITASKS_WHISPER_DEVICE, settings.AITASKS_WHISPER_COMPUTE_TYPE)
        self._translator = ctranslate2.Translator(
            str(self.directory),
            device=device,
            compute_type=compute_type,
            intra_threads=settings.AITASKS_WHISPER_CPU_THREADS or os.cpu_count() or 1,
        )

    def translate(self, sentences: list[str]) -> list[str]:
        if self._translator is None:
            self._load()
        batches = []
        for sentence in sentences:
            tokens = self._source_spm.encode(sentence, out_type=str)
            batches.append(([self._nllb[0]] if self._nllb else []) + tokens + ["</s>"])
        prefixes = [[self._nllb[1]]] * len(batches) if self._nllb else None
        results = self._translator.translate_batch(  # type: ignore[attr-defined]
            batches, target_prefix=prefixes, beam_size=4, max_batch_size=16
        )
        translated = []
        for result in results:
            tokens = [token for token in result.hypotheses[0] if not (self._nllb and token == self._nllb[1])]
            translated.append(self._target_spm.decode(tokens))
        return translated


def parse_models(value: str) -> dict[tuple[str, str], Path]:
    """`ger>fre=/dir, eng>spa=/dir` → {("ger", "fre"): Path("/dir"), ...}; errors name the entry."""
    models: dict[tuple[str, str], Path] = {}
    for entry in filter(None, (item.strip() for item in value.split(","))):
        pair, _, directory = entry.partition("=")
        source, _, target = pair.partition(">")
        try:
            key = (languages.normalize(source), languages.normalize(target))
        except languages.UnknownLanguage as error:
            raise EngineError(f"AITASKS_TRANSLATION_MODELS entry {entry!r}: {error}") from None
        if not directory.strip():
            raise EngineError(f"AITASKS_TRANSLATION_MODELS entry {entry!r} needs '=<model directory>'")
        models[key] = Path(directory.strip()).expanduser()
    return models


def installed() -> dict[tuple[str, str], TextTranslator]:
    """The text translators this installation has, by (source, target) pair; each loads its
    model when it first translates."""
    backend = settings.AITASKS_TRANSLATION_BACKEND
    return {
        pair: plugins.shared(
            backend,
            "AITASKS_TRANSLATION_BACKEND",
            lambda translator, pair=pair, directory=directory: translator(pair[0], pair[1], directory),
            key=(*pair, str(directory)),
            load=False,
        )
        for pair, directory in parse_models(settings.AITASKS_TRANSLATION_MODELS).items()
    }
