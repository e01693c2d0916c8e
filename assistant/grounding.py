"""Grounding: checks that a sentence about a playlist says nothing the metadata does not support.

`Verifier.check` looks at one sentence about one track (a track line) or about the whole playlist (an
introduction) and drops it when it names an artist or title outside the playlist (or another track than
its own), states a year, tempo, track count, genre or mood that the metadata contradicts, makes a claim
the metadata cannot support (albums, bands, lyrics, nationality), echoes instructions, or is cut off,
chatty or repetitive. Names are spotted with the request parser's catalog vocabulary (`understand`).

The words the code itself writes about a track's sound (`sound_words`) are chosen with stricter thresholds
than the verifier's contradiction bounds, so metadata text always passes its own verifier.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.lexicon import GENRE_SYNONYMS, NUMBER_WORDS, clean, normalize
from assistant.vocabulary import Vocabulary as Names
from assistant.vocabulary import name_key, tokenize
from retrieval.catalog import Track
from retrieval.index import TrackIndex
from retrieval.lexical import STOPWORDS

MAX_FIELD_CHARS = 80
TEMPO_TOLERANCE = 8.0

# ----------------------------------------------------------------------------------------- sound words

# (feature, threshold, above?) -> word. The thresholds are stricter than the verifier's contradiction
# bounds below, so a word the code writes is never one the verifier would reject.
_SOUND: tuple[tuple[str, float, bool, str], ...] = (
    ("energy", 0.75, True, "high-energy"),
    ("energy", 0.4, False, "calm"),
    ("valence", 0.65, True, "upbeat"),
    ("valence", 0.3, False, "melancholic"),
    ("danceability", 0.72, True, "danceable"),
    ("acousticness", 0.6, True, "acoustic"),
    ("instrumentalness", 0.5, True, "instrumental"),
)


def sound_words(track: Track) -> list[str]:
    """Plain words for the track's sound, from its audio features: "high-energy", "melancholic", ..."""
    words = []
    for name, threshold, above, word in _SOUND:
        value = getattr(track, name)
        if value is not None and (value >= threshold if above else value <= threshold):
            words.append(word)
    return words


def tempo_word(tempo: float | None) -> str | None:
    if not tempo:
        return None
    return "slow" if tempo < 90 else "fast" if tempo > 135 else "mid-tempo"


# A mood or tempo word contradicts the metadata when the feature lies outside its range.
_MOOD_RULES: tuple[tuple[frozenset[str], str, float | None, float | None], ...] = (
    (frozenset({"energetic", "high energy", "intense", "powerful", "explosive", "hard hitting", "pumping"}),
     "energy", 0.45, None),
    (frozenset({"calm", "mellow", "chill", "chilled", "relaxed", "relaxing", "gentle", "soft", "laid back",
                "quiet", "soothing", "low energy", "peaceful", "tranquil", "serene"}), "energy", None, 0.7),
    (frozenset({"sad", "melancholic", "melancholy", "somber", "sombre", "gloomy", "moody", "dark", "mournful",
                "depressing"}), "valence", None, 0.6),
    (frozenset({"happy", "cheerful", "joyful", "sunny", "bright", "feel good", "upbeat", "uplifting", "fun",
                "playful", "euphoric"}), "valence", 0.35, None),
    (frozenset({"danceable", "groovy", "dancefloor", "dance floor"}), "danceability", 0.5, None),
    (frozenset({"acoustic", "unplugged"}), "acousticness", 0.3, None),
    (frozenset({"instrumental"}), "instrumentalness", 0.3, None),
    (frozenset({"fast", "fast paced", "up tempo", "uptempo"}), "tempo", 95.0, None),
    (frozenset({"slow", "slow paced", "downtempo"}), "tempo", None, 125.0),
    (frozenset({"mid tempo", "midtempo"}), "tempo", 85.0, 140.0),
)
_MOOD_WORDS = {w: rule for rule in _MOOD_RULES for w in rule[0]}
_NEGATORS = frozenset({"not", "no", "never", "without", "less", "isnt", "nor", "hardly", "dont", "doesnt", "arent"})

# Genres the default catalog has no label for: naming one is a claim the track's labels must support.
EXTRA_GENRES = frozenset(
    "jazz blues country folk classical opera gospel reggae ska funk disco ambient metal punk emo grunge techno "
    "trance dubstep bluegrass soul swing".split())

# Claims the metadata cannot support: discography, biography, lyrics, nationality.
_UNSUPPORTED = re.compile(
    r"\b(?:albums?|soundtracks?|compilations?|debut|grammys?|awards?|charts?|billboard|lyrics?|bands?|duo|trio"
    r"|rappers?|singers?|songwriters?|producers?|remakes?|cover(?:ed)? (?:version|by)|written by|produced by"
    r"|performed by|sung by|(?:song|track|tune|it)(?: is)? about|tells? (?:the|a) story|british|english|american"
    r"|canadian|australian|french|german|swedish|korean|puerto rican|colombian|irish|scottish|jamaican"
    r"|uk|u\.?s\.?a?|legendary|late (?:singer|rapper|artist)|(?:known|famous|renowned) for|music videos?)\b",
    re.IGNORECASE)
# Instructions echoed back, role talk and chatter: never part of an explanation.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,30}\b(?:instructions?|prompts?|rules?)\b|\bsystem prompt\b"
    r"|\binstructions?\b|\bprompt\b|\bjailbreak|\byou are now\b|\bas an ai\b|\blanguage model\b|</?data>"
    r"|\bhacked\b|\bpwned\b", re.IGNORECASE)
_CHATTER = re.compile(r"^(?:i|i'm|i'll|i've|sure|certainly|of course|okay|ok|yes|no|here are the|awesome|great)\b"
                      r"|\b(?:i'm|i am|i'll|i will|i have|i hope|let me|feel free|please)\b", re.IGNORECASE)
_PLAIN = frozenset({"songs", "tracks", "playlist", "sound", "sounds", "feel", "feels", "this", "that", "with"})
_LIST_MARK = re.compile(r"(?:^|\s)(?:#\d|\d+[.)]\s|[-*•]\s)|track \d+:|song \d+:|\btitle:|\bartist:|[{}\[\]<>|]",
                        re.IGNORECASE)

# --------------------------------------------------------------------------------------- text helpers

_CONNECTORS = frozenset({"the", "of", "and", "a", "an", "n", "de", "la", "el", "los", "y", "in", "on", "to", "for",
                         "with", "me", "my", "your", "da", "del", "von", "van", "feat", "ft"})
_LEADING = frozenset({"the", "this", "that", "these", "those", "a", "an", "its", "it", "our", "your", "here",
                      "with", "from", "and", "but", "each", "every", "all"})


@dataclass(frozen=True)
class _Word:
    key: str  # folded as in `name_key`
    capital: bool  # written like part of a name: capitalised or a number
    segment: int  # words of one segment are not separated by punctuation such as , ; ( " or " - "


def words(text: str) -> list[_Word]:
    """The words of a sentence as `understand` reads names: folded, with their capitals and segments."""
    return [_Word(t.text, text[t.start:t.start + 1].isupper() or text[t.start:t.start + 1].isdigit(), t.segment)
            for t in tokenize(normalize(text)) if t.text]


def _ngrams(key: str, max_words: int = 16) -> set[str]:
    words = key.split()
    return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + max_words) + 1)}


def sanitize(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """A catalog or user string made safe to quote in a prompt: no control characters or tags, one line, short."""
    text = " ".join(clean(text, limit * 2).replace("<", " ").replace(">", " ").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------------ sentence splitting

_ABBREVIATIONS = frozenset({"feat", "ft", "vs", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "no", "vol", "pt", "op"})
_CLOSERS = "\"'”’)]"


def split_sentences(text: str, names: Sequence[str] = ()) -> tuple[list[str], str]:
    """Complete sentences of `text` and the unfinished rest. A sentence ends at . ! ? (outside quotes and
    `names`, not after "feat." or an initial) followed by whitespace, or at a line break."""
    out: list[str] = []
    start, in_quote, i = 0, False, 0
    scan = mask_names(text, names) if names else text  # "Tony! Toni! Toné!" holds no sentence end
    while i < len(text):
        c = scan[i]
        if c in "\"“”":
            in_quote = not in_quote if c == '"' else c == "“"
        elif c == "\n":
            if text[start:i].strip():
                out.append(text[start:i].strip())
            start, in_quote = i + 1, False
        elif c in ".!?" and (not in_quote or (c == "." and scan[i + 1:i + 2] in ('"', "”"))):
            j = i + 1
            while j < len(scan) and scan[j] in _CLOSERS + ".!?":
                j += 1
            if j < len(scan) and scan[j].isspace():
                in_quote = False
                word = re.findall(r"[^\W_]+$", text[start:i])
                last = word[0] if word else ""
                if c != "." or not (last.lower() in _ABBREVIATIONS or (len(last) == 1 and last.isupper())):
                    out.append(text[start:j].strip())
                    start = j
                    i = j
                    continue
        i += 1
    return out, text[start:].strip()


def tidy(sentence: str) -> str:
    """Whitespace collapsed and stuttered words removed ("fun, fun vibe" -> "fun vibe")."""
    s = " ".join(sentence.split())
    s = re.sub(r"\b(\w+)(?:,?\s+\1\b)+", r"\1", s, flags=re.IGNORECASE)
    s = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", s)
    return s[:1].upper() + s[1:]


# ------------------------------------------------------------------------------------------ vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """The catalog's names and genre labels, as `name_key`s, for spotting names a sentence mentions."""

    artists: frozenset[str]
    titles: frozenset[str]  # titles of two or more words (one-word titles are ordinary words)
    common: frozenset[str]  # words too common in titles to be read as an artist name on their own
    genres: frozenset[str]  # genre and subgenre labels
    max_words: int = 6
    names: Names | None = field(default=None, compare=False, repr=False)  # what it was made from: what labels mean

    @classmethod
    def from_names(cls, names: Names) -> "Vocabulary":
        """The view of the request parser's catalog vocabulary (shared, built once per index) the verifier needs."""
        titles = frozenset(k for k in names.titles if " " in k)
        genres = frozenset(name_key(label) for label in names.labels) - {""}
        return cls(frozenset(names.artists), titles, names.common, genres, names=names)

    @classmethod
    def from_index(cls, index: TrackIndex) -> "Vocabulary":
        return cls.from_names(Names.for_index(index))

    @classmethod
    def from_tracks(cls, tracks: Sequence[Track]) -> "Vocabulary":
        return cls.from_names(Names.from_tracks(tracks))

    @property
    def genre_words(self) -> frozenset[str]:
        return frozenset(w for g in self.genres for w in g.split()) | EXTRA_GENRES


# ------------------------------------------------------------------------------------------- verifier


@dataclass(frozen=True)
class SentenceCheck:
    """One model-written sentence and the verifier's verdict (`reason` is None when it is kept)."""

    text: str
    track_id: str | None  # None: a sentence of the introduction
    reason: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def blanked_names(tracks: Sequence[Track]) -> list[str]:
    """Artist names and titles of two words or more (one-word names are too often ordinary words) or with
    sentence punctuation ("Toni!", "Shinedown."), longest first."""
    names = {n for t in tracks for n in (t.artist, t.title, sanitize(t.artist, 40), sanitize(t.artist, 60))
             if len(n.split()) >= 2 or re.search(r"[.!?]", n)}
    return sorted(names, key=len, reverse=True)


def mask_names(text: str, names: Sequence[str]) -> str:
    """`text` with each of `names` replaced by spaces (same length, so positions still match)."""
    low = text.lower() if len(text.lower()) == len(text) else text  # positions must survive lower()
    for name in names:
        name = name.lower() if low is not text else name
        start = low.find(name)
        while start >= 0:
            end = start + len(name)
            text = text[:start] + " " * len(name) + text[end:]
            low = low[:start] + " " * len(name) + low[end:]
            start = low.find(name, end)
    return text


@dataclass
class Scope:
    """What a sentence may talk about: one track (a track line) or the whole playlist (the introduction)."""

    tracks: list[Track]
    track: Track | None = None
    own: set[str] = field(default_factory=set)  # names (and their parts) the sentence may mention
    others: set[str] = field(default_factory=set)  # playlist names it must not mention (other tracks)
    numbers: set[str] = field(default_factory=set)  # numbers that are part of a title or album
    names: list[str] = field(default_factory=list)  # names of the playlist to blank out for the fact checks

    @classmethod
    def for_track(cls, track: Track, playlist: Sequence[Track]) -> "Scope":
        own = _ngrams(name_key(track.artist)) | _ngrams(name_key(track.title)) | _ngrams(name_key(track.album))
        others = {name_key(t.artist) for t in playlist} | {name_key(t.title) for t in playlist}
        others -= own
        numbers = {w for w in (name_key(track.title) + " " + name_key(track.album)).split() if w.isdigit()}
        return cls([track], track, own, others, numbers, blanked_names(playlist))

    @classmethod
    def for_playlist(cls, playlist: Sequence[Track]) -> "Scope":
        own: set[str] = set()
        numbers: set[str] = set()
        for t in playlist:
            own |= _ngrams(name_key(t.artist)) | _ngrams(name_key(t.title)) | _ngrams(name_key(t.album))
            numbers |= {w for w in (name_key(t.title) + " " + name_key(t.album)).split() if w.isdigit()}
        return cls(list(playlist), None, own, set(), numbers, blanked_names(playlist))

    def value(self, feature: str) -> float | None:
        """The track's value, or the playlist mean (None when unknown)."""
        values = [getattr(t, feature) for t in self.tracks if getattr(t, feature) is not None]
        return sum(values) / len(values) if values else None

    def years(self) -> tuple[int, int] | None:
        years = [t.year for t in self.tracks if t.year]
        return (min(years), max(years)) if years else None

    def tempos(self) -> tuple[float, float] | None:
        tempos = [t.tempo for t in self.tracks if t.tempo]
        return (min(tempos), max(tempos)) if tempos else None

    def labels(self) -> set[str]:
        return {name_key(g) for t in self.tracks for g in (*t.genres, *t.subgenres)}


_YEAR = re.compile(r"(?<![\w.'’])(1[89]\d\d|20\d\d)(?![\w.]\d|s\b|'s\b)")
_DECADE = re.compile(r"(?<![\w])(?:['’]?(\d)0['’]?s|(1[89]\d0|20\d0)['’]?s)\b", re.IGNORECASE)
_DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990,
                 "noughties": 2000}
_BPM = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:-\s*)?(?:bpm|beats (?:per|a) minute)\b", re.IGNORECASE)
_COUNT = re.compile(r"\b(\d{1,3}|" + "|".join(w for w in NUMBER_WORDS if " " not in w and len(w) > 2)
                    + r")\s+(?:\w+\s+){0,2}?(?:tracks|songs|tunes|cuts)\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"([^\"]{1,120})\"|“([^”]{1,120})”")
MIN_WORDS, MAX_WORDS = 4, 45


class Verifier:
    """Checks model-written sentences against the playlist's metadata and the catalog's names."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocab = vocabulary
        self._genre_phrases = sorted({*vocabulary.genres, *EXTRA_GENRES}, key=lambda g: -len(g.split()))
        self._known_words = vocabulary.genre_words | {w for p in _MOOD_WORDS for w in p.split()} | {"bpm", "segue"}
        self._claim_labels = [g for g in vocabulary.genres if _UNSUPPORTED.search(g)]
        self._genre_words = vocabulary.genre_words

    def check(self, sentence: str, scope: Scope) -> SentenceCheck:
        """The verdict on one sentence. Names are checked on the sentence as written; every other check reads
        it with the playlist's names blanked out, so "Quiet Riot" is no mood and "Pop Evil" no genre."""
        track_id = scope.track.track_id if scope.track else None
        masked = mask_names(sentence, scope.names)
        checks = ((self._form, sentence), (self._names, sentence), (self._years, masked), (self._tempo, masked),
                  (self._count, masked), (self._genres, masked), (self._moods, masked), (self._claims, masked))
        for test, text in checks:
            problem = test(text, scope)
            if problem:
                return SentenceCheck(sentence, track_id, problem[0], problem[1])
        return SentenceCheck(sentence, track_id)

    # -------------------------------------------------------------- form

    def _form(self, s: str, scope: Scope) -> tuple[str, str] | None:
        if _INJECTION.search(s):
            return "injection", "echoes instructions"
        if s.rstrip(_CLOSERS)[-1:] not in (".", "!", "?"):
            return "malformed", "cut off"
        s = _QUOTED.sub('"X"', mask_names(s, scope.names))  # names and quoted titles may hold anything
        n_words = len(s.split())
        if not MIN_WORDS <= n_words <= MAX_WORDS:
            return "malformed", f"{n_words} words"
        if _LIST_MARK.search(s) or _CHATTER.search(s):
            return "malformed", "list or chatter"
        counts = Counter(w.key for w in words(s) if len(w.key) > 3 and w.key not in STOPWORDS and w.key not in _PLAIN
                         and w.key not in self._genre_words)
        if counts and counts.most_common(1)[0][1] >= 2:
            return "malformed", f"repeats {counts.most_common(1)[0][0]!r}"
        return None

    # -------------------------------------------------------------- names

    def _names(self, s: str, scope: Scope) -> tuple[str, str] | None:
        for m in _QUOTED.finditer(s):
            key = name_key(m.group(1) or m.group(2))
            if key and key not in scope.own:
                return ("wrong_track", key) if key in scope.others else ("unknown_name", key)
        ws = words(s)
        covered = [False] * len(ws)
        i = 0
        while i < len(ws):
            own = self._longest(ws, i, lambda key: key in scope.own)
            other = self._longest(ws, i, lambda key: key in scope.others or self._in_catalog(key, i))
            if other > own:
                key = " ".join(w.key for w in ws[i:i + other])
                return ("wrong_track", key) if key in scope.others else ("unknown_name", key)
            for j in range(i, i + own):
                covered[j] = True
            i += max(own, 1)
        return self._unknown_capitals(ws, covered)

    def _longest(self, ws: list[_Word], i: int, known: Callable[[str], bool]) -> int:
        """Length of the longest name-like span at word i whose key is `known` (0 if none)."""
        if not ws[i].capital:
            return 0
        for n in range(min(self.vocab.max_words, len(ws) - i), 0, -1):
            span = ws[i:i + n]
            if not span[-1].capital or span[-1].segment != span[0].segment:
                continue
            if any(not w.capital and w.key not in _CONNECTORS for w in span):
                continue
            if known(" ".join(w.key for w in span)):
                return n
        return 0

    def _in_catalog(self, key: str, position: int) -> bool:
        """A catalog artist or title that is no ordinary phrase; one word only away from the sentence start."""
        parts = key.split()
        if all(w in self._known_words or w in _CONNECTORS or w.isdigit() for w in parts):
            return False
        if len(parts) == 1:
            return (position > 0 and not key[0].isdigit() and len(key) >= 2 and key not in self.vocab.common
                    and key in self.vocab.artists)
        return key in self.vocab.artists or key in self.vocab.titles

    def _unknown_capitals(self, ws: list[_Word], covered: list[bool]) -> tuple[str, str] | None:
        """Two or more capitalised words in a row that are no name of the playlist: an invented title or band."""
        runs: list[list[_Word]] = [[]]
        for w, done in zip(ws, covered):
            joins = w.capital or (bool(runs[-1]) and w.key in _CONNECTORS)
            if done or not joins or (runs[-1] and runs[-1][-1].segment != w.segment):
                runs.append([])
            if not done and joins and not w.key[0].isdigit() and (w.capital or runs[-1]):
                runs[-1].append(w)
        for run in runs:
            while run and not run[-1].capital:
                run.pop()
            while len(run) > 1 and run[0].key in _LEADING:
                run.pop(0)
            keys = [w.key for w in run]
            if len(keys) >= 2 and not all(k in self._known_words or k in _CONNECTORS for k in keys):
                return "unknown_name", " ".join(keys)
        return None

    # -------------------------------------------------------------- facts

    def _years(self, s: str, scope: Scope) -> tuple[str, str] | None:
        span = scope.years()
        claims: list[tuple[int, int, str]] = []
        for m in _YEAR.finditer(s):
            if m.group(1) not in scope.numbers:
                claims.append((int(m.group(1)), int(m.group(1)), m.group(0)))
        for m in _DECADE.finditer(s):
            start = int(m.group(2)) if m.group(2) else _decade(int(m.group(1)) * 10, span)
            claims.append((start, start + 9, m.group(0)))
        for word, start in _DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", s, re.IGNORECASE):
                claims.append((start, start + 9, word))
        for lo, hi, text in claims:
            if span is None or hi < span[0] or lo > span[1]:
                return "year", text
        return None

    def _tempo(self, s: str, scope: Scope) -> tuple[str, str] | None:
        span = scope.tempos()
        for m in _BPM.finditer(s):
            bpm = float(m.group(1))
            if span is None or not span[0] - TEMPO_TOLERANCE <= bpm <= span[1] + TEMPO_TOLERANCE:
                return "tempo", m.group(0)
        return None

    def _count(self, s: str, scope: Scope) -> tuple[str, str] | None:
        if scope.track is not None:
            return None
        for m in _COUNT.finditer(s):
            word = m.group(1).lower()
            n = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
            if n is not None and n != len(scope.tracks):
                return "count", m.group(0)
        return None

    def _genres(self, s: str, scope: Scope) -> tuple[str, str] | None:
        text = f" {name_key(s)} "
        labels = scope.labels()
        for phrase in self._genre_phrases:
            needle = f" {phrase} "
            if needle not in text:
                continue
            synonyms = {name_key(label) for label in GENRE_SYNONYMS.get(phrase, ())}
            if not (synonyms & labels or any(set(phrase.split()) <= set(label.split()) for label in labels)):
                return "genre", phrase
            text = text.replace(needle, " ")
        return None

    def _moods(self, s: str, scope: Scope) -> tuple[str, str] | None:
        keys = [w.key for w in words(s)]
        for i in range(len(keys)):
            for n in (2, 1):
                phrase = " ".join(keys[i:i + n])
                rule = _MOOD_WORDS.get(phrase)
                if rule is None or any(k in _NEGATORS for k in keys[max(0, i - 3):i]):
                    continue
                _, feature, low, high = rule
                value = scope.value(feature)
                if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
                    return "mood", f"{phrase} ({feature} {value:.2f})"
                break
        return None

    def _claims(self, s: str, scope: Scope) -> tuple[str, str] | None:
        for label in self._claim_labels:  # "album rock" is a genre, not a claim about an album
            s = re.sub(rf"\b{re.escape(label)}\b", " ", s, flags=re.IGNORECASE)
        m = _UNSUPPORTED.search(s)
        return ("unsupported", m.group(0)) if m else None


def _decade(two_digits: int, span: tuple[int, int] | None) -> int:
    """"80s" is 1980; "10s" and "20s" are 2010 and 2020 when the playlist reaches them."""
    latest = span[1] if span else 2020
    return 2000 + two_digits if 2000 + two_digits <= latest else 1900 + two_digits


def verify_text(text: str, playlist: Sequence[Track], vocabulary: Vocabulary,
                track: Track | None = None) -> list[SentenceCheck]:
    """Check every sentence of `text` (about `track`, or the whole playlist): the verifier on its own, for evals."""
    scope = Scope.for_track(track, playlist) if track else Scope.for_playlist(playlist)
    done, rest = split_sentences(text, scope.names)
    verifier = Verifier(vocabulary)
    return [verifier.check(tidy(s), scope) for s in [*done, *([rest] if rest else [])]]
