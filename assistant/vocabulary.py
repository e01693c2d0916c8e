"""The catalog's vocabulary: what can be asked for by name (genre labels, artists, titles), and the tokenizer.

`Vocabulary` is built once per catalog (`Vocabulary.for_index`) and answers exact look-ups of `name_key`
forms ("beyonce", "guns n roses", "ccr" as an alias), fuzzy look-ups of misspelt artist names (rapidfuzz,
only among names of similar length and the same first letter) and title look-ups within an artist's
tracks. `assistant.understand` reads requests with it; the conversation and the explanations use it to
recognise names.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from assistant.lexicon import (
    GENRE_SYNONYMS, MOODS, NEGATORS, NICKNAMES, NUMBER_WORDS, OTHER_GENRE_WORDS, clean, genres_named, normalize,
)
from retrieval.catalog import Track
from retrieval.embeddings import model_words
from retrieval.labels import ArtistLabels, parent_genres
from retrieval.lexical import STOPWORDS, word_forms

if TYPE_CHECKING:
    from retrieval.index import TrackIndex

# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[&+]")
_SOFT_GAP_CHARS = frozenset(".-'$!*")


@dataclass(frozen=True)
class Token:
    text: str  # folded, apostrophes removed, possessive 's cut: "CCR's" -> "ccr", "Don't" -> "dont"
    start: int
    end: int
    segment: int  # tokens of one segment are not separated by punctuation such as , ; ( " / or " - "
    possessive: bool


def tokenize(low: str) -> list[Token]:
    """The words of a normalized text with their spans and segments."""
    out: list[Token] = []
    segment, prev_end, prev_len = 0, 0, 0
    for m in _TOKEN.finditer(low):
        raw = m.group(0)
        gap = low[prev_end:m.start()]
        if out and _hard_gap(gap, prev_len):
            segment += 1
        possessive = raw.endswith("'s") and len(raw) > 2
        out.append(Token(_word(raw), m.start(), m.end(), segment, possessive))
        prev_end, prev_len = m.end(), len(raw)
    return out


def _word(raw: str) -> str:
    if raw in ("&", "+"):
        return "and"
    return (raw[:-2] if raw.endswith("'s") and len(raw) > 2 else raw).replace("'", "")


def _hard_gap(gap: str, prev_len: int) -> bool:
    stripped = gap.strip()
    if not stripped:
        return False
    if gap == stripped and set(gap) <= _SOFT_GAP_CHARS:
        return False  # inside a name: "Jay-Z", "R.E.M", "Travelin' Band"
    if stripped == "." and prev_len <= 3 and gap.startswith("."):
        return False  # "Dr. Dre", "St. Vincent"
    return stripped != "'"


def name_key(name: str) -> str:
    """The form names are compared in: "Beyoncé" -> "beyonce", "Guns N' Roses" -> "guns n roses",
    "Simon & Garfunkel" -> "simon and garfunkel"."""
    return " ".join(_word(raw) for raw in _TOKEN.findall(normalize(clean(name, 500))))


_BRACKETS = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_SUFFIX = re.compile(r"\s+-\s+.*$")


def title_key(title: str) -> str:
    """A title without its version notes: "Blackout - Radio Edit (feat. X)" -> "blackout"."""
    base = _SUFFIX.sub("", _BRACKETS.sub("", title))
    return name_key(base) or name_key(title)


# --------------------------------------------------------------------------- vocabulary

# Words that are never enough, alone, to name an artist or a track.
_FUNCTION_WORDS = frozenset(
    "the a an and or of to in on for with by from at as is are was be been it its this that these those i me my "
    "we you your he she they them our any some more most other new old good best great like similar similiar "
    "than then but not no nothing without just only also really very so too all what which who whom how when such "
    "where why can could would should will want need looking look find recommend recommendations recommendation "
    "suggest suggestions suggestion please help anything something someone songs song music tracks track tunes "
    "artists artist bands band singer singers album albums playlist playlists list stuff vibe vibes kind type "
    "style genre sound sounds feel feeling love loves loved time day night life world people man girl boy "
    "baby heart one two three yes live intro outro chorus verse beat beats bass drop riff solo lyrics vocals voice "
    "cover version remix remixes soundtrack ost theme record records ep single singles various".split()
)
# A title word used in this many distinct catalog titles counts as an ordinary word ("love", "summer").
COMMON_TITLE_DF = 6
# Stricter for short names: one letter off in "kinda" already scores 89 against "kina".
ARTIST_FUZZY_CUTOFFS = ((6, 92.0), (10, 88.0), (10_000, 85.0))
TITLE_FUZZY_CUTOFF = 85.0
MIN_FUZZY_CHARS = 5
MAX_GENRE_CONTEXT = 3  # words a longer genre name may add around a well-known one ("new jack swing")
_SYMBOL_LETTER = {"$": "s", "!": "i"}
_SYMBOL_LETTERS = re.compile(r"\$|(?<=[^\W\d_])!(?=[^\W\d_])")  # "A$AP", "Bada$$", "P!nk"; not "Wham!"
# "ccr" names Creedence Clearwater Revival only when no other artist with those initials comes close.
INITIALISM_DOMINANCE = 3.0
INITIALISM_MIN_TRACKS = 3
MIN_FIRST_NAME = 4  # letters of a first name said alone for the one artist it begins ("Kanye")
MIN_FIRST_NAME_TRACKS = 3  # tracks of that artist in the catalog: a one-song artist is no one's "Kanye"
# and the popularity of their best known one (about the top 40% of artists): "Time to Move by Carmen" is some
# Carmen the catalog lacks, not Carmen López
MIN_FIRST_NAME_POPULARITY = 50


@dataclass
class _TrackRef:
    key: str  # `title_key`: without version notes
    track_id: str
    popularity: int
    full: str = ""  # `name_key` of the whole title: "jump 2015 remaster"
    written: str = ""  # the whole title lower-cased, punctuation kept: "this girl (kungs vs. cookin' on 3 burners)"


@dataclass
class Vocabulary:
    """What a catalog can be asked for by name: its genre labels, artists and titles, in `name_key` form; and
    what its labels mean: each artist's, each subgenre's genre."""

    labels: frozenset[str]
    genre_phrases: dict[str, tuple[str, ...]]  # phrase key -> catalog labels
    mood_phrases: dict[str, str]  # phrase key -> MOODS entry
    artist_names: list[str]  # artist number -> display name
    artists: dict[str, int]  # name key -> artist number
    aliases: dict[str, int]  # "weeknd", "acdc", "ccr" -> artist number
    artist_tracks: list[list[_TrackRef]]
    titles: dict[str, _TrackRef]  # title key -> most popular track of that title
    full_titles: dict[str, _TrackRef]  # whole title's name key -> most popular track of that exact title
    common: frozenset[str]  # ordinary words and words frequent in titles ("summer", "queen")
    ordinary: frozenset[str]  # function words and the request lexicon ("songs", "like", "sad", "rock")
    words: frozenset[str]  # every word of the catalog's titles, albums, artists and labels, and of the lexicon
    latest_year: int
    # fuzzy search space: name keys without a leading "the", by first letter, sorted by length
    _fuzzy: dict[str, tuple[list[str], list[int], list[int]]] = field(default_factory=dict)
    albums: dict[str, int] = field(default_factory=dict)  # album name key -> its one artist's number
    artist_labels: ArtistLabels | None = None
    label_parents: dict[str, str] = field(default_factory=dict)  # subgenre -> genre
    _sorted_artists: list[str] = field(init=False, repr=False)  # name keys in order: those sharing words are a run

    def __post_init__(self) -> None:
        self._sorted_artists = sorted(self.artists)

    @classmethod
    def from_tracks(cls, tracks: Sequence[Track], labels: Iterable[str] | None = None) -> "Vocabulary":
        """Build from catalog tracks alone (no vectors needed)."""
        label_set = frozenset(l.lower() for l in labels) if labels is not None else frozenset(
            l.lower() for t in tracks for l in (*t.genres, *t.subgenres))
        genre_phrases: dict[str, tuple[str, ...]] = {}
        for label in label_set:
            if key := name_key(label):
                genre_phrases[key] = (label,)
        # the curated synonyms win over a label of the same name: "hip hop" means all of rap
        for phrase, preferred in GENRE_SYNONYMS.items():
            chosen = next((p for p in preferred if p in label_set), None)
            if chosen:
                genre_phrases[name_key(phrase)] = (chosen,)
        mood_phrases = {name_key(w): w for w in MOODS}

        artist_names: list[str] = []
        artists: dict[str, int] = {}
        artist_tracks: list[list[_TrackRef]] = []
        weight: list[int] = []
        titles: dict[str, _TrackRef] = {}
        full_titles: dict[str, _TrackRef] = {}
        title_words: Counter[str] = Counter()
        seen_titles: set[str] = set()
        album_words: set[str] = set()
        album_artists: dict[str, set[int]] = {}
        latest = 0
        keys: dict[str, str] = {}
        for t in tracks:
            key = keys.get(t.artist)
            if key is None:
                key = keys[t.artist] = name_key(t.artist)
            if not key:
                continue
            number = artists.get(key)
            if number is None:
                number = artists[key] = len(artist_names)
                artist_names.append(t.artist)
                artist_tracks.append([])
                weight.append(0)
            ref = _TrackRef(title_key(t.title), t.track_id, t.popularity or 0, name_key(t.title), _written(t.title))
            artist_tracks[number].append(ref)
            weight[number] += 1 + ref.popularity
            for table, key in ((titles, ref.key), (full_titles, ref.full)):
                best = table.get(key)
                if best is None or ref.popularity > best.popularity:
                    table[key] = ref
            if ref.key not in seen_titles:
                seen_titles.add(ref.key)
                title_words.update(set(ref.key.split()))
            album_words.update(name_key(t.album).split())
            album_artists.setdefault(title_key(t.album), set()).add(number)
            latest = max(latest, t.year or 0)

        lexicon_words = {w for phrase in (*MOODS, *GENRE_SYNONYMS, *label_set, *NUMBER_WORDS)
                         for w in name_key(phrase).split()}
        ordinary = frozenset(STOPWORDS | _FUNCTION_WORDS | NEGATORS | OTHER_GENRE_WORDS | lexicon_words)
        common = ordinary | {w for w, df in title_words.items() if df >= COMMON_TITLE_DF}
        aliases = _aliases(artists, artist_names, [len(refs) for refs in artist_tracks], weight, common)
        words = ordinary | title_words.keys() | album_words | {w for key in artists for w in key.split()} | {
            w for label in label_set for w in name_key(label).split()}
        # an album of one artist (no compilation) names that artist: "the Definition album" is Jon Bellion's
        albums = {key: next(iter(numbers)) for key, numbers in album_artists.items() if key and len(numbers) == 1}
        return cls(label_set, genre_phrases, mood_phrases, artist_names, artists, aliases, artist_tracks, titles,
                   full_titles, common, ordinary, frozenset(words), latest or 2020, _fuzzy_index(artists),
                   albums=albums, artist_labels=ArtistLabels(tracks), label_parents=parent_genres(tracks))

    @classmethod
    def for_index(cls, index: TrackIndex) -> "Vocabulary":
        """The vocabulary of an index, built on first use and kept as long as the index lives."""
        with _cache_lock:
            vocab = _cache.get(index)
            if vocab is None:
                vocab = _cache[index] = cls.from_tracks(index.tracks, index.labels.keys())
            return vocab

    # ------------------------------------------------------------------ look-ups

    def is_common(self, key: str) -> bool:
        """Whether a name key is made only of common words ("the band", "love", "green day")."""
        return all(w in self.common for w in key.split())

    def knows_any(self, text: str) -> bool:
        """Whether any word of `text` (or its singular or plural) is a word of the catalog or the lexicon."""
        return any(w in self.words for w in word_forms(name_key(text)))

    def is_ordinary(self, key: str) -> bool:
        """Whether a name key is made only of request words ("love songs", "the band")."""
        return all(w in self.ordinary for w in key.split())

    def artist_number(self, key: str) -> int | None:
        """The artist a name key spells: exactly, by an alias, with "the" added or dropped ("the bahamas"),
        or without its spaces ("2 pac")."""
        for candidate in (key, key.removeprefix("the ") if key.startswith("the ") else "", key.replace(" ", "")):
            if not candidate:
                continue
            number = self.artists.get(candidate)
            if number is None:
                number = self.aliases.get(candidate)
            if number is not None:
                return number
        return None

    def fuzzy_artist(self, key: str) -> tuple[int, float] | None:
        """The closest artist to a name key (misspellings), with its score; only keys of similar length are
        compared, since a ratio >= cutoff bounds the length ratio."""
        core = key.removeprefix("the ")
        if len(core.replace(" ", "")) < MIN_FUZZY_CHARS or core[0] not in self._fuzzy:
            return None
        # Misspellings seldom change the first letter; comparing only names that share it (and a length
        # the cutoff allows: ratio = 2M/(a+b) >= c  =>  b <= a (2 - c) / c) keeps this well under 1 ms.
        keys, lengths, numbers = self._fuzzy[core[0]]
        cutoff = next(c for limit, c in ARTIST_FUZZY_CUTOFFS if len(core) <= limit)
        slack = (200 - cutoff) / cutoff
        lo = bisect.bisect_left(lengths, int(len(core) / slack))
        hi = bisect.bisect_right(lengths, int(len(core) * slack) + 1)
        hit = process.extractOne(core, keys[lo:hi], scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None:
            return None
        return numbers[lo + hit[2]], float(hit[1])

    def resolve_artist(self, name: str, *, fuzzy: bool = True) -> str | None:
        """The catalog artist a name means ("ccr", "the weekend", "Beyonce"), or None."""
        key = name_key(name)
        if not key:
            return None
        number = self.artist_number(key)
        if number is None and fuzzy and not self.is_ordinary(key):
            hit = self.fuzzy_artist(key)
            number = hit[0] if hit else None
        return None if number is None else self.artist_names[number]

    def best_title(self, phrases: Sequence[str], artist: int) -> tuple[_TrackRef, int] | None:
        """The artist's track whose title best matches one of `phrases`, and that phrase's position."""
        best: tuple[tuple[float, int, int], _TrackRef, int] | None = None
        for pos, phrase in enumerate(phrases):
            for ref in self.artist_tracks[artist] if phrase else ():
                score = 100.0 if ref.key == phrase else fuzz.ratio(phrase, ref.key)
                rank = (score, len(phrase), ref.popularity)
                if score >= TITLE_FUZZY_CUTOFF and (best is None or rank > best[0]):
                    best = (rank, ref, pos)
        return (best[1], best[2]) if best else None

    def match_title(self, title: str, artist: int | None = None) -> str | None:
        """The track a title written out names: the exact title with its version notes first ("Jump - 2015
        Remaster", "Fantasy - Felix Jaehn Remix"), then the title without them ("Ordinary Man (feat. Elton
        John)" -> "ordinary man", the plain version preferred). Within the artist's tracks when the artist is
        known (fuzzily as a last resort), else among all titles, exactly."""
        full, key, written = name_key(title), title_key(title), _written(title)
        if artist is None:
            ref = self.full_titles.get(full) or self.titles.get(key)
            return ref.track_id if ref else None
        refs = self.artist_tracks[artist]
        for same in ([r for r in refs if r.full == full], [r for r in refs if r.key == key]):
            if same:  # as written first ("This Girl - Kungs Vs. ..." beside "This Girl (Kungs Vs. ...)"), then
                # the plain version ("Jump" for "Jump - Live 1986"), then the most popular
                return max(same, key=lambda r: (r.written == written, r.full == r.key, r.popularity)).track_id
        hit = self.best_title([key], artist)
        return hit[0].track_id if hit else None

    def resolve_track(self, title: str, artist: str | None = None) -> str | None:
        """The catalog track id of a title (see `match_title`), by the artist named `artist` when given."""
        if artist is None:
            return self.match_title(title)
        number = self.artist_number(name_key(artist))
        return None if number is None else self.match_title(title, number)

    def starts_artist(self, key: str) -> bool:
        """Whether a catalog artist's name begins with these words: the request may have cut it short."""
        return bool(self.artists_starting(key))

    def artists_starting(self, key: str) -> list[int]:
        """The artists whose name key begins with these whole words and goes on ("kanye" -> Kanye West)."""
        prefix = key + " "
        keys = self._sorted_artists
        out = []
        i = bisect.bisect_left(keys, prefix)
        while i < len(keys) and keys[i].startswith(prefix):
            out.append(self.artists[keys[i]])
            i += 1
        return out

    def first_name_artist(self, word: str) -> int | None:
        """The one well-known catalog artist of several tracks whose name begins with this word, which names no
        artist itself, and no other's does ("kanye" -> Kanye West; not "elvis": Presley and Costello)."""
        if len(word) < MIN_FIRST_NAME or self.artist_number(word) is not None:
            return None
        starting = self.artists_starting(word)
        if len(set(starting)) != 1:
            return None
        refs = self.artist_tracks[starting[0]]
        if len(refs) < MIN_FIRST_NAME_TRACKS or max(r.popularity for r in refs) < MIN_FIRST_NAME_POPULARITY:
            return None
        return starting[0]

    def resolve_genre(self, phrase: str) -> list[str]:
        """Catalog labels a genre phrase stands for ("hip hop" -> ["rap"]); empty if the catalog has none."""
        return list(self.genre_phrases.get(name_key(phrase), ()))

    def absent_genres(self, request: str) -> list[str]:
        """Well-known genres the request names ("jazz", "k-pop") that the catalog files nothing under; not one
        said only inside a genre it has ("swing" of "new jack swing"), nor only inside a capitalised name ("from
        Donkey Kong Country 2")."""
        words = name_key(request).split()
        return [g for g in genres_named(normalize(request))
                if not self.resolve_genre(g) and not self._only_inside_genres(words, name_key(g).split())
                and not self._only_inside_names(request, g)]

    def _only_inside_names(self, request: str, genre: str) -> bool:
        """Whether every mention of `genre` is capitalised after two capitalised words that are no common words
        ("Donkey Kong Country"; not "Smooth Jazz", "Looking For Texas Country Music")."""
        hits = list(re.finditer(rf"(?<![\w-]){re.escape(genre)}(?![\w-])", request, re.IGNORECASE))
        for m in hits:
            before = re.search(r"(?<![.!?])\s([A-Z][\w'-]*)\s+([A-Z][\w'-]*)\s+$", request[:m.start()])
            if not (request[m.start()].isupper() and before
                    and not any(self.is_common(name_key(w)) for w in before.groups())):
                return False
        return bool(hits)

    def without_absent_genres(self, text: str, about: str = "") -> tuple[str, str]:
        """(text, about) with the genres the catalog lacks moved from the text, whose words are spread to the
        artists that match them, to `about`, matched in each track's own title: one album called "Jazz" would
        otherwise bring Queen's hits for "jazz for dinner". A genre of several words stays: in titles its words
        alone mean something else ("Road Trip" and "Hop Off a Jet" for "trip-hop"), and no album is called
        "bossa nova"."""
        absent = [g for g in self.absent_genres(text) if len(name_key(g).split()) == 1]
        if not absent:
            return text, about
        text = re.sub("|".join(rf"\b{re.escape(g)}\b" for g in absent), " ", text, flags=re.I)
        return " ".join(text.split()), " ".join([about, *absent]).strip()

    def _only_inside_genres(self, words: list[str], genre: list[str]) -> bool:
        n, m = len(words), len(genre)
        starts = [i for i in range(n - m + 1) if words[i:i + m] == genre]
        return bool(starts) and all(
            any(" ".join(words[a:b]) in self.genre_phrases
                for a in range(max(0, i - MAX_GENRE_CONTEXT), i + 1)
                for b in range(i + m, min(n, i + m + MAX_GENRE_CONTEXT) + 1) if b - a > m)
            for i in starts)


def _written(title: str) -> str:
    return " ".join(normalize(clean(title, 500)).split())


_cache: weakref.WeakKeyDictionary[Any, Vocabulary] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _fuzzy_index(artists: dict[str, int]) -> dict[str, tuple[list[str], list[int], list[int]]]:
    groups: dict[str, list[tuple[str, int]]] = {}
    for key, number in artists.items():
        core = key.removeprefix("the ")
        groups.setdefault(core[0], []).append((core, number))
    out = {}
    for letter, items in groups.items():
        items.sort(key=lambda item: len(item[0]))
        out[letter] = ([k for k, _ in items], [len(k) for k, _ in items], [n for _, n in items])
    return out


def _aliases(artists: dict[str, int], names: list[str], n_tracks: list[int], weight: list[int],
             common: frozenset[str]) -> dict[str, int]:
    """Other ways to write an artist: without a leading "the", without spaces ("acdc"), without a last letter or
    "Jr." ("lil nas"), "and" for "N" ("bone thugs and harmony"), without a backing band of "and the" ("bob marley"
    for Bob Marley & The Wailers, the leader's name of two words or more), with letters for the symbols written
    for them ("asap rocky", "pink", "ty dolla sign"), by a nickname (`NICKNAMES`: "tupac") and, for names of three
    words or more of artists with a few tracks, initials ("ccr") when one artist dominates them."""
    aliases: dict[str, int] = {}
    initials: dict[str, list[int]] = {}
    english = model_words()
    for nickname, name in NICKNAMES.items():
        if (number := artists.get(name_key(name))) is not None:
            aliases[name_key(nickname)] = number
    for key, number in artists.items():
        words = key.split()
        spelled = name_key(_SYMBOL_LETTERS.sub(lambda m: _SYMBOL_LETTER[m.group()], names[number]))
        if spelled != key and (" " not in spelled or not all(w in english for w in spelled.split())):
            aliases.setdefault(spelled, number)  # not "too short" (Too $hort): a phrase, in English
        if words[0] == "the" and len(words) > 1:
            aliases.setdefault(" ".join(words[1:]), number)
        if len(words) > 1 and len(compact := "".join(words)) >= 4:
            aliases.setdefault(compact, number)
        if (len(words) >= 3 and (len(words[-1]) == 1 or words[-1] == "jr")
                and all(len(w) > 1 and w not in STOPWORDS for w in words[:-1])
                and not all(w in common for w in words[:-1])):
            aliases.setdefault(" ".join(words[:-1]), number)  # "lil nas" for Lil Nas X, "gary clark" for Gary Clark Jr.
        if "n" in words[1:-1] and all(len(w) > 1 for w in words if w != "n"):  # not "K.E.E.N.E."
            aliases.setdefault(" ".join("and" if w == "n" else w for w in words), number)
        # a leader whose name opens with a common word may be a phrase ("my big brother's wedding")
        if "and" in words[2:-2] and words[words.index("and", 2) + 1] == "the" and words[0] not in common:
            aliases.setdefault(" ".join(words[:words.index("and", 2)]), number)
        if len(words) >= 3 and n_tracks[number] >= INITIALISM_MIN_TRACKS:
            initials.setdefault("".join(w[0] for w in words), []).append(number)
    for letters, numbers in initials.items():
        ranked = sorted(numbers, key=lambda n: -weight[n])
        if len(ranked) > 1 and weight[ranked[0]] < INITIALISM_DOMINANCE * weight[ranked[1]]:
            continue
        if letters not in common and not letters.isdigit():
            aliases.setdefault(letters, ranked[0])
    return {k: v for k, v in aliases.items() if k not in artists}
