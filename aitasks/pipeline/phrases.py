"""Where a phrase goes on: words a subtitle line or cue should not end with, and words that
start a new clause.

Subtitling guidelines (the BBC's, Netflix's timed-text style guides) keep an article with its
noun, a preposition with its object and a conjunction with the clause it opens: a cue ending
"...verlassen und zum" or a line ending "the" makes the reader wait for the rest. A break before
a conjunction or a relative pronoun is a natural one. The lists hold the short function words of
the languages most subtitled; elsewhere only punctuation and pauses guide the breaks.
"""

from __future__ import annotations

import unicodedata

# Articles, prepositions, possessives, auxiliaries and conjunctions that need what follows them.
BINDING_WORDS: dict[str, frozenset[str]] = {
    "eng": frozenset(
        "a an the of to in on at by for from with into onto about over under and or but nor "
        "my your his her its our their this these those is are was were be been has have "
        "had will would shall should can could may might must do does did not very than as "
        "if so such no every each some any".split()
    ),
    "ger": frozenset(
        "der die das den dem des ein eine einen einem einer eines und oder aber zu zum zur im "
        "in ins an ans am auf aufs aus bei beim mit nach von vom vor für fürs über unter durch gegen ohne um seit bis "
        "zwischen neben hinter als wie "
        "dass ob wenn weil mein dein sein ihr unser euer ist sind war waren hat haben wird "
        "werden kann können muss sehr nicht kein keine".split()
    ),
    "fre": frozenset(
        "le la les l' un une des du de d' au aux à en dans sur sous par pour avec sans chez "
        "et ou mais que qu' qui dont si ce cette ces mon ma mes ton ta tes son sa ses notre "
        "nos votre vos leur leurs est sont était a ont ne pas très plus".split()
    ),
    "spa": frozenset(
        "el la los las lo un una unos unas del al de a en con por para sin sobre entre y e o "
        "u pero que si mi mis tu tus su sus nuestro nuestra es son era fue ha han muy no más".split()
    ),
    "ita": frozenset(
        "il lo la i gli le un uno una del della dei delle al alla ai di a da in con su per tra "
        "fra e o ma che se mio mia suo sua è sono era ha hanno molto non più".split()
    ),
    "por": frozenset(
        "o a os as um uma uns umas do da dos das no na nos nas ao à de em com por para sem e "
        "ou mas que se meu minha seu sua é são era foi tem muito não mais".split()
    ),
    "dut": frozenset(
        "de het een van in op aan met voor naar bij uit door over om te en of maar dat als "
        "mijn zijn haar ons hun is zijn was waren heeft hebben zal niet geen zeer".split()
    ),
}
# Words that open a clause: a cue or line may well start with them.
CLAUSE_STARTS: dict[str, frozenset[str]] = {
    "eng": frozenset("and but or so because although though while which who whom whose where when that if".split()),
    "ger": frozenset("und aber oder denn weil obwohl während dass wenn als ob welche welcher wo".split()),
    "fre": frozenset("et mais ou donc car parce que qui quand lorsque si dont où".split()),
    "spa": frozenset("y pero o porque aunque mientras que quien cuando donde si".split()),
    "ita": frozenset("e ma o perché mentre che chi quando dove se".split()),
    "por": frozenset("e mas ou porque embora enquanto que quem quando onde se".split()),
    "dut": frozenset("en maar of want omdat hoewel terwijl dat die wie wanneer waar als".split()),
}


def _bare(word: str) -> str:
    """The word lower-cased without surrounding punctuation ("Und," → "und")."""
    text = unicodedata.normalize("NFKC", word).strip().lower()
    return text.strip(".,;:!?¡¿…\"'«»“”„()[]")


def binds_forward(word: str, language: str) -> bool:
    """Whether `word` needs the word after it on the same line and in the same cue. A word
    followed by punctuation ("the.") ends something and binds nothing."""
    stripped = word.strip()
    if not stripped or stripped[-1] in ".,;:!?…":
        return False
    return _bare(stripped) in BINDING_WORDS.get(language, frozenset())


def opens_clause(word: str, language: str) -> bool:
    """Whether `word` starts a clause: a good word to start a cue or line with."""
    return _bare(word) in CLAUSE_STARTS.get(language, frozenset())
