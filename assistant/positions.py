"""Which tracks of a playlist a message points at: by position ("track 3", "the second song", "the last two",
"2 and 5"), by title ("drop Hold On"), by artist or by a superlative ("the calmest song"). Positions may be out of
range: the chat checks every one."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from assistant.lexicon import NUMBER_WORDS
from assistant.vocabulary import name_key, title_key
from retrieval.catalog import Track
from retrieval.lexical import STOPWORDS

MIN_FUZZY_TITLE = 6  # shorter titles must appear word for word
TITLE_FUZZY_CUTOFF = 90.0

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20}
COUNT_WORDS = r"(?:\d{1,3}|" + "|".join(w for w in NUMBER_WORDS if " " not in w and len(w) > 2) + ")"
_EDGE_RUN = re.compile(rf"(?<!\ba )\b(first|last|top|bottom)\s+({COUNT_WORDS})\b(?!\s*(?:minutes?|mins?|bpm|%))")
_SECOND_LAST = re.compile(r"\b(?:second[- ]to[- ]last|second[- ]last|next[- ]to[- ]last|penultimate|"
                          r"one before (?:the )?last)\b")
# "any last songs you'd recommend", "a last few from the beatles", "X for a final touch" ask for more, not about
# the last track
_ORDINAL = re.compile(r"(?<!\bany )(?<!\bsome )(?<!\bfew )(?<!\ba )\b(" + "|".join(ORDINALS)
                      + r"|(\d{1,3})(?:st|nd|rd|th)|last|final|opening|closing)\b"
                      r"(?!\s+(?:time|half|minutes?|person))")
# "songs from her first and second albums", "their first hit": the artist's, not the playlist's
_NOT_A_TRACK_ORDINAL = re.compile(r"(?:\s*(?:,|and|&|or)\s*(?:" + "|".join(ORDINALS) + r"|\d{1,3}(?:st|nd|rd|th)))*"
                                  r"\s+(?:albums?|records?|lps?|eps?|mixtapes?|singles?|hits?|decades?|years?)\b")
_THEIRS_BEFORE = re.compile(r"\b(?:her|his|their)\s+(?:very\s+)?$")
_NUMBERED = re.compile(r"(?:\b(?:tracks?|songs?|numbers?|tunes?|nos?\.?)\s*#?|#)\s*(\d{1,3})\b")
_LIST_MORE = re.compile(r"\s*(?:,|and|&|or|-|to|through|thru)\s*(?:(?:tracks?|songs?|numbers?|#)\s*)?#?(\d{1,3})\b")
_BARE = re.compile(r"(?<![\w.#])(\d{1,3})\b(?!\s*(?:minutes?|mins?|min|hours?|h\b|songs|tracks|tunes|bpm|s\b|'s|%|"
                   r"more|x\b|times|per)|[.:]\d)")


def count_word(word: str) -> int | None:
    word = word.replace("-", " ")
    if word.isdigit():
        return int(word)
    value = NUMBER_WORDS.get(word)
    return int(value) if value is not None else None


def find_positions(low: str, n: int, *, bare: bool = False) -> list[int]:
    """0-based positions a message refers to, in the order given (may be out of range; the caller checks).
    `bare`: plain numbers count too ("swap 2 and 5"), for verbs that only take positions."""
    found: list[tuple[int, list[int]]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, positions: list[int]) -> None:
        if not any(s < end and start < e for s, e in taken):
            taken.append((start, end))
            found.append((start, positions))

    for m in _SECOND_LAST.finditer(low):
        add(m.start(), m.end(), [n - 2])
    for m in _EDGE_RUN.finditer(low):
        k = count_word(m.group(2))
        if k:
            first = m.group(1) in ("first", "top")
            add(m.start(), m.end(), list(range(k)) if first else list(range(max(n - k, 0), n)))
    for m in _NUMBERED.finditer(low):
        numbers = [int(m.group(1))]
        end = m.end()
        while more := _LIST_MORE.match(low, end):
            joiner = low[end:more.start(1)]
            if re.search(r"-|\bto\b|through|thru", joiner) and numbers[-1] < int(more.group(1)) <= numbers[-1] + 50:
                numbers.extend(range(numbers[-1] + 1, int(more.group(1)) + 1))
            else:
                numbers.append(int(more.group(1)))
            end = more.end()
        add(m.start(), end, [k - 1 for k in numbers])
    for m in _ORDINAL.finditer(low):
        if _NOT_A_TRACK_ORDINAL.match(low, m.end()) or _THEIRS_BEFORE.search(low, 0, m.start()):
            continue
        word = m.group(1)
        if word in ("last", "final", "closing"):
            add(m.start(), m.end(), [n - 1])
        elif word == "opening":
            add(m.start(), m.end(), [0])
        else:
            add(m.start(), m.end(), [(int(m.group(2)) if m.group(2) else ORDINALS[word]) - 1])
    if bare:
        for m in _BARE.finditer(low):
            add(m.start(), m.end(), [int(m.group(1)) - 1])
    out: list[int] = []
    for _, positions in sorted(found):
        out.extend(p for p in positions if p not in out)
    return out


def find_titles(message: str, tracks: list[Track]) -> list[int]:
    """Positions of the playlist tracks whose title the message names (exactly, or closely for long titles)."""
    text = f" {name_key(message)} "
    out = []
    for i, t in enumerate(tracks):
        key = title_key(t.title)
        if not key or key in STOPWORDS or (" " not in key and not _said_as_title(key, message)):
            continue  # "I don't like Drake, more Rihanna" names no track "more"
        if f" {key} " in text or (len(key) >= MIN_FUZZY_TITLE and len(key.split()) >= 2
                                  and fuzz.partial_ratio(key, text) >= TITLE_FUZZY_CUTOFF):
            out.append(i)
    # "Hold On" inside "Hold On Tight": keep the longest title that matched at a place
    keys = {i: title_key(tracks[i].title) for i in out}
    return [i for i in out if not any(j != i and keys[i] != keys[j] and keys[i] in keys[j] for j in out)]


def _said_as_title(word: str, message: str) -> bool:
    """Whether a one-word title is written as one: capitalised or quoted, not an everyday word in lowercase, nor
    a reply opening a sentence ("Yeah, this is very good" names no track "Yeah!")."""
    def written(m: re.Match[str]) -> bool:
        if m.start() > 0 and message[m.start() - 1] in "\"“'‘":
            return True
        opens = not message[:m.start()].strip() or message[:m.start()].rstrip()[-1] in ".!?"
        return m.group(0)[0].isupper() and not (opens and word in _REPLIES)
    return any(map(written, re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", message, re.IGNORECASE)))


_REPLIES = frozenset("yeah yes yep yup ok okay wow great perfect thanks nice cool awesome hello hey hi sure alright "
                     "no nope well so lovely beautiful amazing excellent wonderful fantastic good fine right".split())


def find_artist_tracks(message: str, tracks: list[Track]) -> list[int]:
    """Positions of the tracks whose artist the message names."""
    text = f" {name_key(message)} "
    return [i for i, t in enumerate(tracks) if (key := name_key(t.artist)) and f" {key} " in text
            and key not in STOPWORDS]


def quoted_title(message: str) -> str | None:
    m = re.search(r"\"([^\"]{2,80})\"|“([^”]{2,80})”", message)
    return (m.group(1) or m.group(2)) if m else None


# "the calmest song": the track with the least energy. Phrase -> (attribute, +1 for the most, -1 for the least).
_SUPERLATIVES: dict[str, tuple[str, int]] = {
    "calmest": ("energy", -1), "most relaxed": ("energy", -1), "mellowest": ("energy", -1), "softest": ("energy", -1),
    "chillest": ("energy", -1), "most energetic": ("energy", 1), "loudest": ("energy", 1), "hardest": ("energy", 1),
    "heaviest": ("energy", 1), "slowest": ("tempo", -1), "fastest": ("tempo", 1), "happiest": ("valence", 1),
    "most upbeat": ("valence", 1), "cheeriest": ("valence", 1), "saddest": ("valence", -1),
    "darkest": ("valence", -1), "most danceable": ("danceability", 1), "longest": ("duration_ms", 1),
    "shortest": ("duration_ms", -1), "oldest": ("year", -1), "newest": ("year", 1), "most recent": ("year", 1),
    "latest": ("year", 1), "most popular": ("popularity", 1), "least popular": ("popularity", -1),
    "most obscure": ("popularity", -1), "most famous": ("popularity", 1), "best known": ("popularity", 1),
    "best-known": ("popularity", 1), "most well known": ("popularity", 1), "least famous": ("popularity", -1),
    "least known": ("popularity", -1),
}
_SUPER = "|".join(sorted(_SUPERLATIVES, key=len, reverse=True))
# "the calmest song", "which one is the fastest?"
# "the three slowest songs", "the 2 least popular ones": that many
_SUPERLATIVE = re.compile(rf"\bthe (?:(?P<k>{COUNT_WORDS}) )?(?P<a>{_SUPER})\s+(?:one|song|track|tune|number)"
                          rf"(?(k)s?|)\b|\bis the (?P<b>{_SUPER})\s*(?:one|song|track)?\W*$")


def superlative_attribute(low: str) -> str | None:
    """The track attribute the first superlative of a message is about ("the fastest song": tempo)."""
    m = _SUPERLATIVE.search(low)
    return _SUPERLATIVES[m.group("a") or m.group("b")][0] if m else None


def find_superlatives(low: str, tracks: list[Track]) -> list[int]:
    """Positions of the tracks a superlative points at ("put the calmest song first", "drop the longest track",
    "remove the three slowest songs"), in the order said; a track without the value is never the one."""
    out: list[int] = []
    for m in _SUPERLATIVE.finditer(low):
        attribute, sign = _SUPERLATIVES[m.group("a") or m.group("b")]
        valued = [(getattr(t, attribute), i) for i, t in enumerate(tracks) if getattr(t, attribute) is not None]
        ranked = [i for _, i in sorted(valued, key=lambda vi: (-sign * vi[0], vi[1]))]
        k = count_word(m.group("k")) if m.group("k") else 1
        out += [i for i in ranked[:k or 1] if i not in out]
    return out
