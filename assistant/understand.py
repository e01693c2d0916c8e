"""Request understanding: a plain request -> `PlaylistSpec`, grounded in the catalog's own vocabulary.

`RequestParser` is deterministic and fast (well under 5 ms): regex finders from `assistant.lexicon` read
years, lengths, caps, popularity, ordering and explicit features; the catalog's `Vocabulary`
(`assistant.vocabulary`) resolves genres, artists and tracks by exact look-ups of the request's word
n-grams, with fuzzy matching (rapidfuzz) only on the few phrases that a context word ("like", "by",
"without", ...) marks as a name. `understand` adds a capable LLM's structured proposal on top, every
value of which is checked against the catalog before it reaches the spec.

Artist names that are ordinary words ("Love", "Summer", "The Band") are the main source of false
matches, so a name made only of common words must be clearly named: quoted, after "by", or capitalised
as a whole (not at the start of a sentence, not in a Title Case request) after a context word.
Names come before constraints: a quoted title ("Pursuit of Happiness - Steve Aoki Remix") and a name
holding a number ("Maroon 5", "The 1975", "6 Underground") are not read as a remix wish, a count or a year.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError
from rapidfuzz import fuzz

from assistant.lexicon import (
    KNOWN_GENRES,
    MOODS,
    MUSIC_NOUN_WORDS,
    NUMBER_WORDS,
    POSSESSIVES,
    RECENT_YEARS,
    TEMPO_BOUNDS,
    Finding,
    clean,
    combine_features,
    counts_back,
    everyday_noun,
    find_artist_cap,
    find_features,
    find_length,
    find_others_only,
    find_ordering,
    find_popularity,
    find_remixes,
    find_topic,
    find_track_length,
    find_years,
    is_negated,
    merge_years,
    mood_ranges,
    negation_start,
    normalize,
    points_at_unseen,
    said_artist_cap,
)
from assistant.llm.errors import LLMError
from assistant.prompts import render_prompt
from assistant.spec import FEATURE_NAMES, MAX_MINUTES, MAX_TRACKS, FeatureName, Ordering, PlaylistSpec, Popularity
from assistant.vocabulary import (  # re-exported: these names were defined here before assistant.vocabulary
    ARTIST_FUZZY_CUTOFFS,
    COMMON_TITLE_DF,
    INITIALISM_DOMINANCE,
    INITIALISM_MIN_TRACKS,
    MIN_FUZZY_CHARS,
    TITLE_FUZZY_CUTOFF,
    Token,
    Vocabulary,
    name_key,
    title_key,
    tokenize,
)
from retrieval.embeddings import model_words
from retrieval.filters import Range
from retrieval.lexical import STOPWORDS
from retrieval.settings import Settings, get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from assistant.llm.base import LLMClient
    from retrieval.index import TrackIndex

__all__ = [
    "ARTIST_FUZZY_CUTOFFS", "COMMON_TITLE_DF", "INITIALISM_DOMINANCE", "INITIALISM_MIN_TRACKS", "MAX_NAME_WORDS",
    "MAX_TITLE_WORDS", "MIN_FUZZY_CHARS", "PEOPLE_ENDINGS", "TITLE_FUZZY_CUTOFF", "FeatureProposal", "ParsedRequest",
    "RequestParser", "SpecProposal", "Token", "Vocabulary", "merge_proposal", "name_key", "propose_spec", "title_key",
    "tokenize", "understand",
]

log = logging.getLogger(__name__)

_SPACED_DASH = re.compile(r"\s+[-–]\s+")
_SONG_DASH = re.compile(r"[\"'’”]?\s+[-–]\s+[\"'‘“]?")  # "Artist - Title", maybe inside quotes
_VERSION_NOTE = re.compile(r"\b(?:remaster(?:ed)?|edit|mix|live|version|remix|mono|stereo|acoustic|demo|radio|single|"
                           r"deluxe|feat|ft|\d{4})\b")
_BY_NEXT = re.compile(r"\s*by\b")
_QUOTED = re.compile(r'"([^"]{1,150})"|(?<!\w)\'([^\']{1,150})\'(?!\w)')

# --------------------------------------------------------------------------- the parser

# Phrases before a name. "by" is strong enough to name even an ordinary word ("by Love").
_POSITIVE = ("like", "similar to", "similar", "similiar to", "sounds like", "sound like", "reminiscent of",
             "inspired by", "influenced by", "in the style of", "style of", "vein of", "fan of", "fans of",
             "from", "by", "ala", "a la", "such as", "feat", "ft", "featuring", "including", "more", "than",
             "artists like", "bands like", "listening to", "listen to", "vs", "some of", "more of", "any of", "bit of",
             "lot of", "comparable to", "akin to", "similar songs to", "similar tracks to", "similar music to",
             "similar stuff to", "similar artists to", "similar bands to")
_NEGATIVE = ("without", "no", "not", "no more", "except", "except for", "but not", "anything but", "minus", "exclude",
             "excluding", "avoid", "skip", "nothing by", "nothing from", "not by", "none", "none by", "hate",
             "dont like", "dont want", "not into", "not a fan of", "sick of", "tired of", "no songs by", "no tracks by",
             "no music by", "nothing like", "dont play", "dont add", "dont include", "dont want any", "dont play any",
             "dont add any", "dont include any", "not any", "not any of", "less", "fewer", "less of", "fewer of",
             "less by", "fewer by", "less from", "fewer from", "less songs by", "fewer songs by", "less songs from",
             "fewer songs from", "less music by", "less music from", "less like", "fewer like", "less of a",
             "less similar to", "not so much like")
# An artist introduced by what it is ("the band named Live"): contexts, but not context words, which could then
# start or end no name ("The Band")
_NAMING = ("the band", "band named", "band called", "the artist", "artist named", "artist called", "group called",
           "group named", "singer named", "singer called", "the group", "the singer", "the rapper")
# A song introduced so ("the song Lightning Crashes"): a context for titles only ("the song The Magnificent Seven"
# names no artist "Magnificence")
_SONG_NAMING = frozenset(tuple(p.split()) for p in ("the song", "song called", "song named", "track called",
                                                    "the track"))
# Turned down in words that also end names ("Notorious BIG", "Mr. Big"): contexts, but not context words
_TURNED_DOWN = ("not liking", "not loving", "not feeling", "not digging", "not crazy about", "not really into",
                "not keen on", "not a big fan of", "not really a fan of", "other than",
                # "too much rap", "too many Drake songs": fewer wanted, not more
                "too much", "too many", "too much of", "too many of", "too many songs by", "too many songs from",
                "too many tracks by", "too many tracks from")
_CONTEXTS: dict[tuple[str, ...], str] = {tuple(p.split()): "positive" for p in (*_POSITIVE, *_NAMING)}
_CONTEXTS.update({tuple(p.split()): "negative" for p in (*_NEGATIVE, *_TURNED_DOWN)})
_CONTEXT_MAX = max(len(k) for k in _CONTEXTS)
_LIST_WORDS = frozenset({"and", "or", "nor"})
# Before "without" in its sentence, a denial that turns the lack into a wish: "it isn't 90s hip hop without Snoop"
_NOT_WITHOUT = re.compile(r"\b(?:isn'?t|is not|(?:it|that|this)'?s not|ain'?t|wasn'?t|can'?t be|cannot be|"
                          r"wouldn'?t be|would not be|won'?t be|will not be|not complete|incomplete|is complete)"
                          r"\b[^.!?;]*$")
# "there is no outkast on this list"; "no earth wind and fire?" ends the message, a question of a few words
_THERE_IS = re.compile(r"\bthere(?:'?s| is| are)\s+$")
_NO_QUESTION = re.compile(r"\s+[^.!?,;]{1,40}\?+\W*$")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
# Two readings of the same words: "top 10 songs" is ten tracks, and hits
_BOTH_SAID = {"n_tracks", "popularity"}
# A music noun after a possessive name: "Queen's songs", "Queen's greatest hits"
_MUSIC_AFTER = re.compile(r"(?:(?:greatest|best|biggest|top|early|old|older|new|newer|latest)\s+)?"
                          r"(?:songs?|music|tracks?|albums?|hits|stuff)\b")
_YEAR_KEY = re.compile(r"(?:19|20)\d\d")
# A message of names only, after a word or two that asks for them
_LIST_SEPARATOR = re.compile(r"\s*(?:[,&/+]|\band\b|\bor\b)\s*", re.IGNORECASE)
_NAMES_ONLY = re.compile(r"(?i)\W*(?:(?:yes|yeah|yep|ok|okay|sure|cool|great|nice|perfect|awesome|thanks|"
                         r"thank you)\W+)*(?:(?:(?:i|we)\s+(?:really\s+|also\s+)?(?:like|love|enjoy|dig|want)|"
                         r"more|some|add|play|also|and|maybe|how about|what about)\s+)?(?:some\s+|more\s+)?"
                         r"(?:(?:like|of|by|from|similar to)\s+)?"
                         r"(?P<names>[^.!?;:()\"“”]+?)(?:\W+(?:etc|too|as well|please|and (?:more|others|so on)))*"
                         r"\W*")
# "the definition album", "Beyoncé's Renaissance album", 'the album "X"', "the album called X"
_ALBUM_NAMED = re.compile(r"(?i)\b(?:the|their|his|her|[\w'’]+['’]s)\s+(?P<a>[^.,;!?\"“”]{2,60}?)\s+album\b|"
                          r"\balbum\s+(?:(?:called|named|titled)\s+[\"“]?|[\"“])"
                          r"(?P<b>[^.,;!?\"“”]{2,60}?)[\"”]?\s*"
                          r"(?=[.,;!?]|\s+(?:by|from|and|that|which|is|was)\b|$)")
_NOT_ALBUM_NAMES = frozenset("new latest first second third last recent best whole entire same debut old older "
                             "newest greatest favorite favourite".split())
MAX_ALBUM_ARTISTS = 2
MAX_ALBUM_WORDS = 6
_MODERN = re.compile(r"(?i)\b(?:modern|newer|recent(?:ly)?|current|contemporary|today'?s|nowadays|these days|"
                     r"new (?:songs|music|tracks|releases|artists|bands))\b")
_ERA_AS_SOUND = re.compile(r"(?i)\b(?:sounds?|sounding) like (?:the |an? )?$|\b(?:inspired|influenced) by (?:the )?$|"
                           r"\bin the style of (?:the )?$")
_ERA_INFLUENCE = re.compile(r"(?i)^(?:\s*-\s*(?:inspired|influenced|style)|\s+(?:influences?|style)\b)")
_DASH_GAP = re.compile(r"\s-|-\s")
_QUOTE_GAP = re.compile(r"\s*[\"']\s*")
# Punctuation that ends an artist's name written after a quoted title ("... by Van Halen, no remixes").
_CLAUSE_GAP = re.compile(r"[,;\"()\[\]]")
# Symbols a name may hold between its words: "Axwell /\ Ingrosso", "Panic! At The Disco", "Too $hort".
_NAME_GAP = re.compile(r"\s*[/\\&+:*~|!?.$#@,]+\s*")  # the comma of "Tyler, The Creator", "Earth, Wind & Fire"
MAX_GENRE_WORDS = 4
MAX_NAME_WORDS = 6
MAX_TITLE_WORDS = 10
BY_WITHIN = 4  # words after a title within which a "by" still names its artist
# Share of capitalised words above which a request is Title Case and capitals say nothing about names.
TITLE_CASE_SHARE = 0.6


@dataclass
class _Mention:
    kind: str  # "artist" or "track"
    value: int | str  # artist number or track id
    start: int  # token indices, end exclusive
    end: int
    negative: bool
    context_start: int  # first token of the context phrase (== start when none)
    by: bool = False


@dataclass
class ParsedRequest:
    """The parser's result: the spec, the fields the request set itself, and the phrases it understood."""

    spec: PlaylistSpec
    found: frozenset[str]
    phrases: list[tuple[str, str]]  # (spec field, words of the request)
    request: str = ""  # the request as read (cleaned, capped)
    unknown_artists: list[str] = field(default_factory=list)  # named after "by", not in the catalog
    unknown_songs: list[str] = field(default_factory=list)  # written "Artist - Title", not in the catalog
    unknown_references: list[str] = field(default_factory=list)  # after "like" etc., not in the catalog
    turned_down_absent: list[str] = field(default_factory=list)  # "no country": genres the catalog lacks, turned down

    @property
    def constrained(self) -> bool:
        """Whether anything beyond the free-text description was understood."""
        return bool(self.found - {"description"})


class _Request:
    """One request being parsed: its text, tokens and which tokens are used up."""

    def __init__(self, text: str, names_artist: Callable[[str], bool] = lambda word: False) -> None:
        self.text = text
        self.low = normalize(text)
        self.tokens = tokenize(self.low)
        self.words = [t.text for t in self.tokens]
        self.used = [False] * len(self.tokens)
        self.quoted_spans = [(m.start() + 1, m.end() - 1) for m in _QUOTED.finditer(self.low)]  # inside the marks
        self.quotes = [_trimmed(self.low, a, b) for a, b in self.quoted_spans]  # without edge punctuation
        # '"Labi Siffre - Remember My Song"': each side of the dash may be a name of its own
        self.dash_sides = {_trimmed(self.low, a, b) for qs, qe in self.quoted_spans
                           for a, b in _dash_sides(self.low, qs, qe)}
        # a capital opening a sentence says nothing of the case style, nor one on an artist's name ("songs like
        # Drake, Future and Migos" is no Title Case), nor names after a lowercase "like" or "by" ("Band similar to
        # Mcafferty and Hotel Books"): they would be capitalised in either style
        named = self._named_after_lowercase_context()
        caps = [self.text[t.start].isupper() for k, t in enumerate(self.tokens)
                if self.text[t.start].isalpha() and t.end - t.start > 3 and k not in named
                and not (self.text[t.start].isupper() and (self.sentence_start(k) or names_artist(t.text)))]
        self.title_case = len(caps) >= 3 and sum(caps) / len(caps) >= TITLE_CASE_SHARE

    def _named_after_lowercase_context(self) -> set[int]:
        named: set[int] = set()
        for i in range(1, len(self.tokens)):
            kind, start, _ = self.context(i)
            if kind is None or not self.text[self.tokens[start].start].islower():
                continue
            k = i
            while k < len(self.tokens) and k - i < MAX_NAME_WORDS and (
                    self.cap(k) or k > i and self.words[k] in _NAME_LINKS | _LIST_WORDS):
                named.add(k)
                k += 1
        return named

    def use(self, i: int, j: int) -> None:
        for k in range(i, j):
            self.used[k] = True

    def use_span(self, start: int, end: int) -> None:
        for i, t in enumerate(self.tokens):
            if t.start < end and start < t.end:
                self.used[i] = True

    def free(self, i: int, j: int) -> bool:
        """Tokens i..j exist, are not used up and lie in one segment."""
        return (0 <= i < j <= len(self.tokens) and not any(self.used[i:j])
                and self.tokens[i].segment == self.tokens[j - 1].segment)

    def free_name(self, i: int, j: int) -> bool:
        """Like `free`, but the words may also be parted by the symbols a name can hold (`_NAME_GAP`)."""
        return (0 <= i < j <= len(self.tokens) and not any(self.used[i:j])
                and all(self.tokens[k].segment == self.tokens[k - 1].segment or _NAME_GAP.fullmatch(self.gap(k))
                        for k in range(i + 1, j)))

    def key(self, i: int, j: int) -> str:
        return " ".join(self.words[i:j])

    def gap(self, i: int) -> str:
        """The text between token i-1 and token i."""
        return self.text[self.tokens[i - 1].end:self.tokens[i].start] if i > 0 else ""

    def followed_by(self, j: int, word: str) -> bool:
        return j < len(self.tokens) and self.words[j] == word

    def context(self, i: int, *, quoted: bool = False) -> tuple[str | None, int, tuple[str, ...]]:
        """The context phrase ending just before token i: its kind ("positive", "negative" or "by"),
        its first token and its words. `quoted`: token i opens a quote (`like "Jump"`), whose quote mark
        does not part the context from it."""
        seg = self.tokens[min(i, len(self.tokens) - 1)].segment
        if quoted and 0 < i < len(self.tokens) and _QUOTE_GAP.fullmatch(self.gap(i)):
            seg = self.tokens[i - 1].segment
        for n in range(min(_CONTEXT_MAX, i), 0, -1):
            phrase = tuple(self.words[i - n:i])
            kind = _CONTEXTS.get(phrase)
            if kind and not any(self.used[i - n:i]) and self.tokens[i - n].segment == seg:
                if phrase == ("no",) and self.cap(i - n) and not self.sentence_start(i - n) and (
                        self.context(i - n)[0] == "positive" or tuple(self.words[max(i - n - 2, 0):i - n]) in
                        _SONG_NAMING):
                    return None, i, ()  # "similar to No Church in the Wild": a title's first word
                if kind == "negative" and self._missed(i - n, phrase):
                    kind = "positive"
                return ("by" if phrase[-1] == "by" and kind == "positive" else kind), i - n, phrase
        return None, i, ()

    def _missed(self, start: int, phrase: tuple[str, ...]) -> bool:
        """Whether a negative context at token `start` says the name is missed, not unwanted: "it isnt 90s hip
        hop without snoop dogg", "there is no outkast on this list", "this is great no earth wind and fire?"."""
        before, after = self.low[:self.tokens[start].start], self.text[self.tokens[start].end:]
        if phrase == ("without",):
            return bool(_NOT_WITHOUT.search(before))
        asked = _NO_QUESTION.match(after) and not (start and self.words[start - 1] in ("but", "and", "or"))
        return phrase == ("no",) and bool(_THERE_IS.search(before) or asked)

    def quoted(self, i: int, j: int) -> bool:
        """Exactly the words inside a pair of quotes."""
        return (self.tokens[i].start, self.tokens[j - 1].end) in self.quotes

    def inside_quote(self, i: int, j: int) -> bool:
        """Part of a longer quoted phrase (a name inside a quoted title)."""
        start, end = self.tokens[i].start, self.tokens[j - 1].end
        if (start, end) in self.dash_sides:
            return False
        return any(qs <= start and end <= qe and (qs, qe) != (start, end) for qs, qe in self.quotes)

    def whole_segment(self, i: int, j: int) -> bool:
        return self.segment_bounds(i) == (i, j)

    def cap(self, k: int) -> bool:
        c = self.text[self.tokens[k].start]
        return c.isupper() or c.isdigit()

    def upper(self, i: int) -> bool:
        """Written as no everyday word is: in capitals ("CCR") or with a capital inside ("JayZ")."""
        raw = self.text[self.tokens[i].start:self.tokens[i].end]
        raw = raw[:-2] if self.tokens[i].possessive else raw
        return len(raw) >= 3 and (raw.isupper() or any(c.isupper() for c in raw[1:]))

    def sentence_start(self, i: int) -> bool:
        return i == 0 or bool(_SENTENCE_END.search(self.text[:self.tokens[i].start]))

    def capitalised(self, i: int, j: int) -> bool:
        """Written as a name: first and last word capitalised (in a request that is not Title Case or all
        capitals), and not merely the first word of a sentence."""
        if self.title_case or (j - i > 1 and self.text[self.tokens[i].start:self.tokens[j - 1].end].isupper()):
            return False
        return self.cap(i) and self.cap(j - 1) and not self.sentence_start(i)

    def extends_capitals(self, i: int, j: int) -> bool:
        """Capitalised words run on past i..j ("Alex" in "Alex G"): the name is probably longer."""
        if not self.cap(i):
            return False
        seg = self.tokens[i].segment
        n = len(self.tokens)
        # a number before is a count ("10 Drake songs"), no start of the name; one after may end it ("Maroon 5")
        before = (i > 0 and self.tokens[i - 1].segment == seg and self.cap(i - 1) and not self.sentence_start(i - 1)
                  and self.words[i - 1] not in _NOT_NAME_WORDS and not self.words[i - 1].isdigit())
        after = (j < n and self.tokens[j].segment == seg and self.cap(j) and self.words[j] not in _NOT_NAME_WORDS
                 and not self.tokens[j - 1].possessive)  # "Radiohead's Kid A": the name ends at "'s"
        # "Birds of Prey", "Psy-dub": the capitals continue after a small word or a hyphen
        linked = (j + 1 < n and self.words[j] in _LINK_WORDS and self.tokens[j + 1].segment == seg
                  and self.cap(j + 1))
        # "In Love With a Ghost": capitals before a small word before i
        linked_before = (i >= 2 and self.words[i - 1] in _LINKS_BEFORE and self.cap(i - 2)
                         and self.tokens[i - 2].segment == seg and not self.sentence_start(i - 2)
                         and self.words[i - 2] not in _CONTEXT_WORDS)
        hyphen = (j < n and self.gap(j) == "-") or (i > 0 and self.gap(i) == "-")
        return before or after or linked or linked_before or hyphen

    def dash_before(self, i: int) -> bool:
        return i > 0 and bool(_DASH_GAP.search(self.gap(i)))

    def dash_after(self, j: int) -> bool:
        return j < len(self.tokens) and bool(_DASH_GAP.search(self.gap(j)))

    def segment_bounds(self, i: int) -> tuple[int, int]:
        seg = self.tokens[i].segment
        lo = i
        while lo > 0 and self.tokens[lo - 1].segment == seg:
            lo -= 1
        hi = i
        while hi < len(self.tokens) and self.tokens[hi].segment == seg:
            hi += 1
        return lo, hi


_CONTEXT_WORDS = frozenset(w for p in (*_POSITIVE, *_NEGATIVE) for w in p.split())
# Capitalised words that do not continue a name ("Like Drake And Future", "Drake Songs").
_NOT_NAME_WORDS = _CONTEXT_WORDS | _LIST_WORDS | STOPWORDS | MUSIC_NOUN_WORDS | {"style", "similar", "i"}
_EDIT_VERBS = frozenset("drop remove delete skip cut ditch lose kill replace swap move put".split())
_LINK_WORDS = frozenset("of in on at the to".split())
_LINKS_BEFORE = frozenset("a an the with".split())
# What a request asks for, never a title before "by" or "from": "anything from Jay Z", "some songs by Drake"
_ASKING_NOUNS = MUSIC_NOUN_WORDS | frozenset("anything something everything some more track tunes hits ones".split())
# Names no request can mean without quotes: "The", "HIM", "You".
_PRONOUNS = frozenset("the a an i me you he him she her it we us they them his hers its our your their this that "
                      "these those who what".split())
# Contexts that may introduce a title alone ("songs like Kiss from a Rose"); "from" or "by" may not.
_TITLE_CONTEXTS = frozenset(tuple(p.split()) for p in (
    "like", "similar to", "similar", "similiar to", "sounds like", "sound like", "such as", "reminiscent of",
    "including", "listening to", "song", "the song", "artists like", "bands like", "nothing like"))
_NAMED = re.compile(r"\bby\s+$")
# "by Dead Can Dance": capitalised words after "by" go on naming the artist (no "dance" mood)
_NAMED_ON = re.compile(r"\bby\s+(?:[A-Z0-9][^\s,;.!?()\"]*\s+){1,3}$")
_LIST_GAP = re.compile(r"^\s*[,/&+]\s*$")
# Well-known genres, whether or not the catalog files tracks under them
_KNOWN_GENRE_KEYS = frozenset(name_key(g) for g in KNOWN_GENRES)
# "a new rock playlist": new is the playlist, not the music
_NEW_THING_WORDS = frozenset("a another the my our your".split())
_COMPASS = frozenset("east west north south eastern western northern southern midwest".split())
# Words after which one lowercase word may be a name: "more of rihanna", "some wizkid", "a thing for adele"
_LOWERCASE_NAME_CUES = frozenset("some more add love play try hear for".split())
_BY_NAME_BEFORE = MUSIC_NOUN_WORDS | {"tracks", "track", "something", "anything", "one", "ones", "more"}
_ADD_VERBS = frozenset({"add", "play", "put", "include"})
_FIRST_NAME_CUES = _LOWERCASE_NAME_CUES - {"for"} | {"only", "just"}  # "music for Sunday"; "just Kanye"
_AMOUNT_WORDS = frozenset("some more bit lot any few couple".split())
_TO_VERBS = frozenset("stick listen switch change move go back turn".split())  # "can we stick to tupac?"
MIN_LOWERCASE_NAME = 4
_BY_CAUSES = frozenset("inspired influenced".split())
# "feels like Christmas": "like" compares, naming nobody
_LIKE_VERBS = frozenset("feel feels felt feeling look looks looked looking seem seems".split())
# "like Australian rapper Allday", "some Christian songs": a people's or a faith's adjective, not a name
PEOPLE_ENDINGS = ("ian", "ean", "ese", "ish", "can", "ic")
# Words for kinds of songs that a capitalised name after "like" may hold: "like Christmas Carols", "Movie Soundtracks"
_STYLE_NOUNS = frozenset("christmas xmas holiday carol movie film soundtrack ost anime game theme".split())
# Contexts after which capitalised words the catalog lacks name an artist or a song: "songs like Nujabes"
_REFERENCE_CONTEXTS = frozenset(tuple(p.split()) for p in (
    "like", "similar to", "similar", "similiar to", "sounds like", "sound like", "reminiscent of", "in the style of",
    "style of", "vein of", "fan of", "fans of", "such as", "artists like", "bands like", "listening to", "listen to",
    "not a fan of", "not into", "comparable to", "akin to", "similar songs to", "similar tracks to",
    "similar music to", "similar stuff to", "similar artists to", "similar bands to"))
_NAME_LINKS = frozenset("and of the n a with".split())
_GREETINGS = frozenset("hello hi hey hiya howdy greetings ok okay thanks yes yeah so well please sorry".split())
# Small words a title holds in lowercase: "In the Waiting Line", "Song of Durin"
_TITLE_SMALL_WORDS = frozenset("a an and the of in on at to for with from by or but is am are be it i my me you your "
                               "into out up down off over all".split())


def _dash_sides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The two sides of a quoted span that one spaced dash parts ("artist - title"); none when a version note
    follows the dash ("Jump - 2015 Remaster") or "by" the quote (the quote is then one title)."""
    dashes = list(_SPACED_DASH.finditer(text, start, end))
    if len(dashes) != 1 or _VERSION_NOTE.search(text, dashes[0].end(), end) or _BY_NEXT.match(text, end + 1):
        return []
    return [(start, dashes[0].start()), (dashes[0].end(), end)]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces and punctuation."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def _title_start(req: _Request, by: int) -> int:
    """Where the title before the "by" at token `by` begins when it follows "like", "similar to"...: "songs like
    <dance little liar> by"; `by` when no such title is there: words that ask ("sad songs by", "the ones by") are
    no title."""
    for a in range(by - 1, max(by - 1 - MAX_TITLE_WORDS, 0), -1):
        if req.context(a, quoted=True)[2] in _REFERENCE_CONTEXTS:  # 'similar to "X" by': the quote parts nothing
            same = req.quoted(a, by) or all(req.tokens[x].segment == req.tokens[by].segment for x in range(a, by))
            return a if same and not _ASKING_NOUNS.intersection(req.words[a:by]) else by
    return by


_HIP_SLASH_HOP = re.compile(r"\b(hip)\s*/\s*(hop)\b", re.IGNORECASE)


def _title_tokens_before_by(req: _Request) -> list[tuple[int, int]]:
    """Token spans of the titles named after "like" and before "by <Name>"."""
    return [(a, i) for i, word in enumerate(req.words)
            if word == "by" and i + 1 < len(req.tokens) and req.cap(i + 1) and (a := _title_start(req, i)) < i]


def _titles_before_by(req: _Request) -> list[tuple[int, int]]:
    """Text spans of the titles named after "like" and before "by <Name>": no constraints ("Similar to 6
    Underground by Sneaker Pimps" asks for no deep cuts, whether the catalog has the artist or not)."""
    return [(req.tokens[a].start, req.tokens[b - 1].end) for a, b in _title_tokens_before_by(req)]


# A mood word typed amiss is that mood when no catalog text nor everyday word holds it and it is this close
# (ratio, 0..100) to one: one letter off a word of eight ("eergetic") scores 94, of five only 80.
MOOD_RESPELL_CUTOFF = 85.0
_MOOD_WORDS = tuple(m for m in MOODS if m.isalpha() and len(m) >= 5)
_MOOD_SET = frozenset(MOODS)
_LOWER_WORD = re.compile(r"(?<![\w'-])[a-z]{5,}(?![\w'-])")


def respell_moods(text: str, vocab: Vocabulary) -> str:
    """`text` with its mood words spelled right ("more eergetic", "relaxign songs"). Only lowercase words that
    no catalog text, lexicon nor the model's vocabulary holds are respelled: capitals may start a name."""
    def respelled(m: re.Match[str]) -> str:
        word = m.group(0)
        # a word known in either number stays: "choruses" is no "chores", "breakups" stays a subject's word
        forms = [word, *[word[:-k] for k, end in ((1, "s"), (2, "es")) if word.endswith(end)]]
        if any(f in vocab.words or f in model_words() or f in _MOOD_SET for f in forms):
            return word
        best = max(_MOOD_WORDS, key=lambda mood: fuzz.ratio(word, mood))
        return best if fuzz.ratio(word, best) >= MOOD_RESPELL_CUTOFF else word
    return _LOWER_WORD.sub(respelled, text)


# Negators that turn tracks of a mood away ("no sad songs", "nothing too slow"), where "not" and "non" as often
# describe ("these were not fun", "non-romantic")
_REFUSING = frozenset({"no", "nothing", "without"})
_SOFTENERS = frozenset({"too", "overly", "so"})  # "not too sad": not the extreme of the mood
_DEGREE_WORDS = frozenset({"too", "overly", "very", "really", "super"})


def _contradicts(ranges: dict[str, Range], word: str) -> bool:
    """Whether a word of a mood phrase is a mood of its own that leans the other way on a feature of the phrase
    ("party", lively, of a calm "dinner party"; "dance" of a slow "first dance")."""
    def lean(r: Range) -> int:
        return 0 if (r.min is None) == (r.max is None) else 1 if r.min is not None else -1

    alone = mood_ranges(word) or {}
    return any(name in ranges and lean(r) * lean(ranges[name]) < 0 for name, r in alone.items())


def _refused_mood(phrase: str) -> dict[str, Range] | None:
    """What "no sad songs", "nothing too slow" keep: the other side of a mood of one feature bounded on one side
    (valence >= 0.35 for sad's valence <= 0.35); None for a mood of more (not upbeat: low energy or low valence,
    which no range says)."""
    ranges = mood_ranges(phrase) or {}
    if len(ranges) != 1:
        return None
    (name, r), = ranges.items()
    if (r.min is None) == (r.max is None):
        return None
    return {name: Range(min=r.max) if r.min is None else Range(max=r.min)}


class RequestParser:
    """Turns a request into a `PlaylistSpec` using a catalog `Vocabulary`; never raises on any string."""

    def __init__(self, vocab: Vocabulary, max_chars: int = 2000) -> None:
        self.vocab = vocab
        self.max_chars = max_chars

    def parse(self, request: str) -> PlaylistSpec:
        return self.analyse(request).spec

    def analyse(self, request: str) -> ParsedRequest:
        text = clean(request if isinstance(request, str) else str(request), self.max_chars)
        if text.isupper():  # "I WANT TO LISTEN TO SOME BEYONCE": shouted capitals mark no names
            text = text.lower()
        text = _HIP_SLASH_HOP.sub(r"\1-\2", text)  # "any hip/hop music?": the slash parts no genre
        text = respell_moods(text, self.vocab)
        req = _Request(text, lambda word: word in self.vocab.artists and not self.vocab.is_common(word))
        quoted, names = self._quoted_titles(req)
        names += self._name_spans(req) + _titles_before_by(req)
        findings = self._patterns(req, names)
        mentions = sorted(quoted + self._names(req), key=lambda m: m.start)
        untitled = self._unknown_title_words(req, mentions)
        genres, excluded_genres, turned_down_absent, mood_groups, cut = self._phrases(req, mentions, untitled)
        unknown = self._unknown_artists(req, mentions)
        songs = [(a, b) for a, b in self._unknown_songs(req) if not untitled.intersection(range(a, b))]
        references = [(a, b) for a, b in self._unknown_references(req, mentions)
                      if not any(c < b and a < d for c, d in songs)]  # "like Roderick Porter - Baby": one song
        parsed = self._assemble(req, findings, mentions, genres, excluded_genres, mood_groups,
                                # "by" goes too, and a title before it ("like Portland by Bowling Shoes")
                                cut + [(_title_start(req, a - 1), b) for a, b in unknown] + references + songs)

        def said(a: int, b: int) -> str:
            return re.sub(r"[\"“”]", "", req.text[req.tokens[a].start:req.tokens[b - 1].end])

        parsed.unknown_artists = list(dict.fromkeys(said(a, b) for a, b in unknown))
        parsed.unknown_references = list(dict.fromkeys(said(a, b) for a, b in references))
        parsed.unknown_songs = [said(a, b) for a, b in songs]
        parsed.turned_down_absent = turned_down_absent
        return self._with_listed_artists(text, self._with_album_artists(req, parsed))

    def _with_listed_artists(self, text: str, parsed: ParsedRequest) -> ParsedRequest:
        """A message that is nothing but artists' names ("TRAVIS SCOTT FUTURE YOUNG THUG", "lil baby dmx 2pac",
        "i like selena gomez, bazzi, charlie puth, etc") seeds every one of them, though a name alone, in
        lowercase or run on, is as often a word ("future")."""
        m = _NAMES_ONLY.fullmatch(text)
        names = self._artist_list(m.group("names")) if m else None
        if not names:
            return parsed
        seeds = list(dict.fromkeys([*names, *parsed.spec.seed_artists]))
        if set(seeds) == set(parsed.spec.seed_artists) or set(seeds) & set(parsed.spec.exclude_artists):
            return parsed
        update: dict[str, Any] = {"seed_artists": seeds}
        found = parsed.found | {"seed_artists"}
        numbers = {int(w) for name in names for w in name_key(name).split() if w.isdigit()}
        if {parsed.spec.year_min, parsed.spec.year_max} <= numbers:  # "the Bleachers, 1975, and ...": The 1975
            update |= {"year_min": None, "year_max": None}
            found -= {"year_min", "year_max"}
        spec = parsed.spec.model_copy(update=update)
        phrases = [*parsed.phrases, *(("seed_artists", name) for name in names)]
        return replace(parsed, spec=spec, found=found, phrases=phrases)

    def _artist_list(self, said: str) -> list[str] | None:
        """The catalog artists that `said` spells one after another (in the fewest names), or None when it spells
        no list of two or more, when one is a style ("rock pop"), or when two one-word names run on, which is more
        likely one name the catalog lacks ("Randy Travis": not Randy and Travis)."""
        vocab = self.vocab
        if vocab.artist_number(name_key(said)) is not None:
            return None  # one name with "and" inside: "8ball and mjg"
        numbers: list[int] = []
        for chunk in _LIST_SEPARATOR.split(said):
            words = name_key(chunk).split()
            n = len(words)
            best: list[list[tuple[int, str]] | None] = [None] * (n + 1)
            best[0] = []
            for i in range(n):
                for j in range(i + 1, min(i + MAX_NAME_WORDS, n) + 1) if best[i] is not None else ():
                    key = " ".join(words[i:j])
                    number = vocab.artist_number(key)
                    if number is None or key in vocab.genre_phrases or key in vocab.mood_phrases or \
                            key in _NOT_NAME_WORDS or key in _EDIT_VERBS:
                        continue  # "more like Martin Garrix" names no artist Like, "drop the weeknd" no DROP
                    found = [*best[i], (number, key)]
                    if best[j] is None or len(found) < len(best[j]):
                        best[j] = found
            names = best[n]
            if names is None or any(" " not in a and " " not in b and a.isalpha() and b.isalpha()
                                    for (_, a), (_, b) in zip(names, names[1:])):
                return None
            numbers += [number for number, _ in names]
        if len(numbers) < 2 or all(vocab.is_common(name_key(vocab.artist_names[k])) for k in numbers):
            return None
        return [vocab.artist_names[k] for k in dict.fromkeys(numbers)]

    def _with_album_artists(self, req: _Request, parsed: ParsedRequest) -> ParsedRequest:
        """An album named as one ("the definition album", 'the album called "Flood"') seeds its artist, when the
        album is one artist's and the request names no artist of its own ("the album lately" names no album)."""
        if parsed.spec.seed_artists or parsed.spec.others_only:
            return parsed
        named: list[str] = []
        for m in _ALBUM_NAMED.finditer(req.text):
            words = name_key(m.group("a") or m.group("b") or "").split()
            # the album's name is the phrase's end: "Let's add 3 more songs from the definition album"
            for key in (" ".join(words[k:]) for k in range(max(0, len(words) - MAX_ALBUM_WORDS), len(words))):
                if self.vocab.is_ordinary(key) or set(key.split()) <= _NOT_ALBUM_NAMES:
                    continue
                number = self.vocab.albums.get(key, self.vocab.albums.get(f"the {key}"))
                if number is not None:
                    named += [self.vocab.artist_names[number]]
                    break
        if not named:
            return parsed
        spec = parsed.spec.model_copy(update={"seed_artists": list(dict.fromkeys(named))[:MAX_ALBUM_ARTISTS]})
        return replace(parsed, spec=spec, found=parsed.found | {"seed_artists"})

    # ------------------------------------------------------------------ regex findings

    def _patterns(self, req: _Request, names: list[tuple[int, int]]) -> list[Finding]:
        """The lexicon's findings, except those inside `names` (text spans of titles and artist names)."""
        out: list[Finding] = []
        # a track's length first: "songs under 4 minutes" is not a 4-minute playlist
        # what the songs are about before anything else: "songs about feeling sad" is a subject, not a mood
        finders = (find_topic, find_others_only, find_artist_cap, find_features, find_track_length, find_length,
                   lambda low: find_years(low, self.vocab.latest_year),
                   find_popularity, find_remixes, find_ordering)
        for finder in finders:
            for f in finder(req.low):
                if _NAMED.search(req.low, 0, f.start) and f.field not in ("n_tracks", "minutes", "length_bound",
                                                                          "max_per_artist", "track_minutes"):
                    continue  # "by Brand New", "by Underground": a name, not a constraint
                if any(a < f.end and f.start < b for a, b in names) and not (
                        f.field == "years" and counts_back(req.low[f.start:f.end])):
                    continue  # "Maroon 5 songs", "The 1975", "Pursuit of Happiness - Steve Aoki Remix"
                if not any(o.start < f.end and f.start < o.end and {o.field, f.field} != _BOTH_SAID for o in out):
                    out.append(f)
        if not any(f.field == "years" for f in out):
            out += self._new_genre(req, names)
        for f in out:
            req.use_span(f.start, f.end)
        return out

    def _new_genre(self, req: _Request, names: list[tuple[int, int]]) -> list[Finding]:
        """"new rock", "put me on new Rock": recent years, as "recent rock" would be. Not "a new rock playlist"
        (a new playlist), nor "new wave" (a genre of its own)."""
        genres, n = self.vocab.genre_phrases, len(req.words)
        for i, word in enumerate(req.words):
            t = req.tokens[i]
            if (word != "new" or not req.free(i, i + 2) or i > 0 and req.words[i - 1] in _NEW_THING_WORDS
                    or any(a < t.end and t.start < b for a, b in names)):
                continue
            ends = range(i + 2, min(i + 1 + MAX_GENRE_WORDS, n) + 1)
            if any(req.key(i + 1, j) in genres for j in ends) and not any(req.key(i, j) in genres for j in ends):
                return [Finding("years", (self.vocab.latest_year - RECENT_YEARS + 1, None), t.start, t.end)]
        return []

    # ------------------------------------------------------------------ artists and titles

    def _quoted_titles(self, req: _Request) -> tuple[list[_Mention], list[tuple[int, int]]]:
        """Quoted titles, with their artist when "by" follows: '"Ordinary Man (feat. Elton John)" by Ozzy
        Osbourne', 'but not "Gunshot - Radio Edit" by John Christian'. Read before anything else, and whole:
        version notes, brackets and dashes inside the quotes are part of the title, no word of it is a
        constraint ("Remix", "2007", "Club"), and the artist after "by" identifies the track rather than
        being a seed of its own. Returns the mentions and the text spans that are names."""
        mentions: list[_Mention] = []
        names: list[tuple[int, int]] = []
        for qs, qe in req.quoted_spans:
            inside = [k for k, t in enumerate(req.tokens) if qs <= t.start and t.end <= qe]
            if not inside or any(req.used[k] for k in inside):
                continue
            i, j = inside[0], inside[-1] + 1
            kind, start, _ = req.context(i, quoted=True)
            negative = kind == "negative"
            by = self._by_artist(req, j)
            if by is None:
                # A quote the tokenizer keeps whole is left to the name readers, which weigh a quoted artist
                # against a title; one it splits is read here when it is a catalog title exactly, version
                # notes included ("Torn (feat. Emelie Cyréus)"); "Buttercup - Jack Stauber" is the readers'.
                ref = self.vocab.full_titles.get(name_key(req.text[qs:qe]))
                track = None if ref is None or req.tokens[i].segment == req.tokens[j - 1].segment else ref.track_id
                end = j
            else:
                number, end = by
                track = None if number is None else self.vocab.match_title(req.text[qs:qe], number)
                names.append((qs, qe))  # a title ("X" by A) even when the catalog lacks it
                if track is None and number is not None:
                    req.use(i, end)
                    if not negative:  # 'like "a song we lack" by Drake': around Drake; 'not "..." by Drake': nothing
                        mentions.append(_Mention("artist", number, j + 1, end, False, j, by=True))
                    continue
            if track is None:
                continue
            mentions.append(_Mention("track", track, i, end, negative, start))
            names.append((req.tokens[i].start, req.tokens[end - 1].end))
            req.use(i, end)
        return mentions, names

    def _by_artist(self, req: _Request, j: int) -> tuple[int | None, int] | None:
        """The artist named after "by" at token j, up to the next comma or bracket: (artist number or None
        when the catalog has no such artist, end token); None when no "by" follows."""
        a = j + 1
        if not req.followed_by(j, "by") or a >= len(req.tokens) or req.used[a]:
            return None
        end = a + 1
        while (end < len(req.tokens) and end - a < MAX_TITLE_WORDS and not req.used[end]
               and not _CLAUSE_GAP.search(req.gap(end))):
            end += 1
        for b in range(end, a, -1):  # the longest name first: "Van Halen" in "Van Halen but no Drake"
            key = req.key(a, b)
            number = self.vocab.artist_number(key)
            if number is not None and self._accept(req, a, b, key, "by"):  # not "by the ...", "by him"
                return number, b
        best: tuple[float, int, int] | None = None
        for b in range(end, a, -1):
            key = req.key(a, b)
            if req.words[b - 1] in STOPWORDS or self.vocab.is_ordinary(key) or not self._accept(req, a, b, key, "by"):
                continue
            hit = self.vocab.fuzzy_artist(key)
            if hit and (best is None or hit[1] > best[0]):
                best = (hit[1], hit[0], b)
        return (best[1], best[2]) if best else (None, a)

    def _name_spans(self, req: _Request) -> list[tuple[int, int]]:
        """Text spans of the names whose words must not be read as constraints: artist names and titles that
        hold a number ("Maroon 5", "The 1975", "Blink-182", "Twenty One Pilots", "like 21 Guns": no count,
        year or cap), and names of two words or more that a context marks as names ("similar to Dimelo Flow":
        no "flow" ordering). `_names` finds them again as names."""
        names: list[tuple[int, int]] = []
        i = 0
        while i < len(req.tokens):
            m = None if req.used[i] else self._exact_artist(req, i, []) or self._title_alone(req, i)
            if m is None or not self._shields(req, m):
                i += 1
                continue
            names.append((req.tokens[m.start].start, req.tokens[m.end - 1].end))
            i = m.end
        return names

    def _shields(self, req: _Request, m: _Mention) -> bool:
        """Whether a name found by the readers outweighs the constraints its words might spell."""
        if any(w.isdigit() or w in NUMBER_WORDS and w not in ("a", "an") for w in req.words[m.start:m.end]):
            return True
        if m.end - m.start < 2:
            return False  # "like Underground": the deep-cuts wish is likelier than the band
        return self._context_of(req, m.start, m.end, [])[0] is not None  # "similar to Dimelo Flow"

    def _names(self, req: _Request) -> list[_Mention]:
        """Artists and tracks named in the request, left to right, the longest name first."""
        mentions: list[_Mention] = []
        i, n = 0, len(req.tokens)
        # "songs like Don't Stop Me Now by Queen": the title's words name no artist (STOP); the artist after "by"
        # finds the title
        titled = {k for a, b in _title_tokens_before_by(req) if "by" not in req.words[a:b] for k in range(a, b)}
        while i < n:
            if i in titled:
                i += 1
                continue
            if req.used[i] or req.words[i] in _CONTEXT_WORDS and req.context(i + 1)[1] <= i and not (
                    req.cap(i) and (named := self._exact_artist(req, i, mentions)) and named.end - named.start > 1):
                i += 1  # a word of a context phrase ("to" of "similar to") does not start a name; "No Doubt" does
                continue
            artist = self._exact_artist(req, i, mentions)
            title = self._title_alone(req, i)
            mention = title if title and (artist is None or title.end > artist.end) else artist
            if mention is None:
                mention = self._fuzzy_artist(req, i, mentions) or self._first_name_artist(req, i, mentions)
            if mention is None:
                i += 1
                continue
            mentions.append(mention)
            req.use(mention.start, mention.end)
            i = mention.end
            if mention.kind == "artist" and (track := self._artist_title(req, mention)):
                mentions.append(track)
                req.use(track.start, track.end)
                mention.kind = "track_artist"  # named to identify the track, not as a seed of its own
                mention.negative = track.negative  # "not Numb by Linkin Park": cut from the description too
                i = max(i, track.end)
        return mentions

    @staticmethod
    def _listed(req: _Request, i: int, mentions: list[_Mention]) -> tuple[str | None, int]:
        """The context of a name that continues a list of artists: "like Drake, Future and Migos"."""
        if not mentions or i == 0 or mentions[-1].kind == "track":
            return None, i
        last = mentions[-1]
        joiner = req.words[i - 1] in _LIST_WORDS and last.end == i - 1
        comma = last.end == i and bool(_LIST_GAP.search(req.gap(i)))
        if joiner or comma:
            return ("negative" if last.negative else "positive"), i - 1 if joiner else i
        return None, i

    def _context_of(self, req: _Request, i: int, j: int, mentions: list[_Mention]) -> tuple[str | None, int]:
        """What marks tokens i..j as a name: a context phrase before, a list, a possessive, a dash, or
        a music noun after ("Metallica songs"); None when nothing does."""
        kind, start, _ = req.context(i)
        if kind is None:
            kind, start = self._listed(req, i, mentions)
        if kind is None and (req.tokens[j - 1].possessive or req.whole_segment(i, j) and
                             (req.dash_before(i) or req.dash_after(j))):
            kind = "positive"
        if (kind is None and j < len(req.tokens) and req.words[j] in MUSIC_NOUN_WORDS
                and req.tokens[j].segment == req.tokens[j - 1].segment):
            kind = "positive"
        if kind is None and j + 1 < len(req.tokens) and req.words[j] in _LIST_WORDS and self._noun_marked(req, j + 1):
            kind = "positive"  # "Adele and Sia type of music": the noun after the list marks both names
        if kind is None and j < len(req.tokens) and _LIST_GAP.search(req.gap(j)) and self._uncommon_name_at(req, j):
            kind = "positive"  # "Older greenday, taking back sunday": the name after the comma marks the first
        return kind, start

    def _uncommon_name_at(self, req: _Request, i: int) -> bool:
        """Whether a catalog artist's name not made of common words starts at token i."""
        return any(req.tokens[k - 1].segment == req.tokens[i].segment and
                   self.vocab.artist_number(key := req.key(i, k)) is not None and not self.vocab.is_common(key)
                   for k in range(i + 1, min(i + MAX_NAME_WORDS, len(req.tokens)) + 1))

    def _noun_marked(self, req: _Request, i: int) -> bool:
        """Whether a catalog artist's name starts at token i and a music noun follows it ("Sia type of music")."""
        n = len(req.tokens)
        return any(self.vocab.artist_number(req.key(i, k)) is not None and req.words[k] in MUSIC_NOUN_WORDS
                   and req.tokens[k].segment == req.tokens[k - 1].segment
                   for k in range(i + 1, min(i + MAX_NAME_WORDS, n - 1) + 1))

    def _exact_artist(self, req: _Request, i: int, mentions: list[_Mention]) -> _Mention | None:
        vocab = self.vocab
        for j in range(min(i + MAX_NAME_WORDS, len(req.tokens)), i, -1):
            if not req.free_name(i, j):
                continue
            key = req.key(i, j)
            number = vocab.artist_number(key)
            if number is None and key.endswith("s") and not key.startswith("the ") and \
                    not vocab.is_common(key[:-1]) and self._lowercase_name(req, i, j):
                number = vocab.artist_number(key[:-1])  # "can you add some of ushers": Usher's songs
            if number is None:
                continue
            if j - i == 1 and key not in vocab.artists and len(key) <= 4 and not (req.upper(i) or req.context(i)[0]):
                continue  # a short alias ("ccr", "jayz") must look like one: "CCR", "JayZ", or after "like"
            kind, start = self._context_of(req, i, j, mentions)
            if self._accept(req, i, j, key, kind):
                return _Mention("artist", number, i, j, kind == "negative", start, by=kind == "by")
        return None

    def _accept(self, req: _Request, i: int, j: int, key: str, kind: str | None) -> bool:
        """Whether words i..j that spell an artist's name do name that artist here (see the module doc)."""
        vocab = self.vocab
        quoted = req.quoted(i, j)
        if req.inside_quote(i, j) or (kind != "by" and req.followed_by(j, "by")):
            return False  # part of a quoted title; or "X by Y", where X is a title
        if all(w in _PRONOUNS for w in key.split()):
            return quoted and kind is not None  # "The", "HIM"
        if _YEAR_KEY.fullmatch(key) and kind != "by":
            return False  # "songs from 1975" is the year; "the 1975", "by 1975", a list of names the band
        if (kind is None and i > 0 and req.words[i - 1] in POSSESSIVES and j - i == 1
                and not (j < len(req.words) and req.words[j] in ("fan", "fans"))):
            return False  # "for my Brothers wedding", "our Family reunion": people; "my Queen fan dad": the band
        if (not req.cap(i) and i > 0 and req.words[i - 1] in _COMPASS
                and req.tokens[i - 1].segment == req.tokens[i].segment):
            return False  # "more east coast stuff": a region, not the band Coast
        content = sum(w not in STOPWORDS for w in key.split())
        if content <= 1 and (req.extends_capitals(i, j) or self._name_goes_on_lowercase(req, i, j)):
            return False  # "Alex" of "Alex G", "Squeeze" of "The Main Squeeze", "luke" of "luke combs"
        if (kind is None and content <= 1 and i > 0 and req.sentence_start(i - 1) and req.cap(i - 1)
                and req.tokens[i - 1].segment == req.tokens[i].segment and not vocab.is_common(req.words[i - 1])):
            return False  # "Case" of "Basket Case is a good one!", "Travis" of "Randy Travis would ..."
        if kind == "by" or (quoted and kind is not None):
            return True
        # "Queen's greatest hits" opening the request, where its capital says nothing: the band's, as in "some of
        # Queen's songs"
        theirs = req.tokens[j - 1].possessive and req.cap(i) and _MUSIC_AFTER.match(" ".join(req.words[j:j + 2]))
        if vocab.is_ordinary(key):
            return kind is not None and (req.capitalised(i, j) or bool(theirs))  # "like Love", never "love songs"
        if vocab.is_common(key):
            if kind is not None and content >= 2:
                return True  # "like green day"
            return (req.capitalised(i, j) or bool(theirs)) and (kind is not None or not req.title_case)
        return content >= 2 or kind is not None or req.capitalised(i, j) or self._lowercase_name(req, i, j)

    def _name_goes_on_lowercase(self, req: _Request, i: int, j: int) -> bool:
        """A lowercase name followed by a rare word of the same phrase: "luke" of "like luke combs style" is
        more likely the first name of an artist the catalog lacks than the artist Luke."""
        if req.cap(i) or j >= len(req.tokens) or req.tokens[j].segment != req.tokens[j - 1].segment or req.cap(j):
            return False
        after = req.words[j]
        vocab = self.vocab
        return (after.isalpha() and not vocab.is_common(after) and after not in vocab.genre_phrases
                and after not in vocab.mood_phrases and vocab.artist_number(after) is None)

    def _lowercase_name(self, req: _Request, i: int, j: int) -> bool:
        """A name of one uncommon word typed in lowercase ("add some of rihanna", "outkast"): taken after a word
        that asks for someone, or as the whole message, then in any case ("Rihanna", whose capital only opens
        the sentence); never before a genre ("some yacht rock")."""
        whole = i == 0 and j == len(req.tokens)
        if any(req.cap(k) for k in range(i, j)) and not whole or \
                len(req.key(i, j).removeprefix("the ")) < MIN_LOWERCASE_NAME:
            return False
        if j < len(req.tokens) and (req.cap(j) or self.vocab.genre_phrases.get(req.words[j])):
            return False  # "some bobby Mcferrin": a longer name
        if i == 0 or req.tokens[i - 1].segment != req.tokens[i].segment:
            return i == 0 and j == len(req.tokens)
        cue = req.words[i - 1]
        # "some of drake", "a bit of ciara"; not "the fall of troy"; "stick to tupac", not "in addition to adele";
        # "how about gorillaz"
        return cue in _LOWERCASE_NAME_CUES or i > 1 and (cue == "of" and req.words[i - 2] in _AMOUNT_WORDS
                                                         or cue == "to" and req.words[i - 2] in _TO_VERBS
                                                         or cue == "about" and req.words[i - 2] in ("how", "what"))

    def _fuzzy_artist(self, req: _Request, i: int, mentions: list[_Mention]) -> _Mention | None:
        """A misspelt name, tried only where a context word says a name follows (or before "'s", or as a
        whole dash-separated segment)."""
        if req.words[i] in STOPWORDS and req.words[i] != "the" or req.words[i] in _DEGREE_WORDS:
            return None  # "not too sleepy" is no Two Sleepy
        kind, start, _ = req.context(i)
        if kind is None:
            kind, start = self._listed(req, i, mentions)
        last = min(i + 5, len(req.tokens))
        marked = kind is not None
        if marked:
            candidates = list(range(i + 1, last + 1))
        else:
            candidates = [j for j in range(i + 1, last + 1) if req.tokens[j - 1].possessive
                          or (req.whole_segment(i, j) and (req.dash_before(i) or req.dash_after(j)))]
            kind = "positive"
        best: tuple[float, int, int] | None = None
        for j in candidates:
            if not req.free(i, j) or (j - i > 1 and req.words[j - 1] in _CONTEXT_WORDS - _NAME_LINKS):
                break  # "like Drake similar to ..."; but "Megan the Stallion", "Florence and the Machine" go on
            if req.words[j - 1] in STOPWORDS:
                continue  # names seldom end in "the", "and", "a"
            key = req.key(i, j)
            if self.vocab.is_ordinary(key) or req.inside_quote(i, j) or req.followed_by(j, "by"):
                continue
            if self.vocab.is_common(key) and not (marked and len(key.removeprefix("the ")) >= 7):
                continue  # everyday words ("the weekend") are only taken for a name after "like", "by", ...
            if j - i == 1 and req.extends_capitals(i, j):
                continue
            hit = self.vocab.fuzzy_artist(key)
            if hit and (best is None or hit[1] > best[0] or hit[1] == best[0] and j > best[2]):
                best = (hit[1], hit[0], j)
        if best is None:
            return None
        j = best[2]
        if j - i == 1 and req.free(i, j + 1) and req.words[j] not in _NOT_NAME_WORDS:
            return None  # one misspelt word with more of the name after it: "maverick city choir" is no Mavrick
        return _Mention("artist", best[1], i, j, kind == "negative", start, by=kind == "by")

    def _first_name_artist(self, req: _Request, i: int, mentions: list[_Mention]) -> _Mention | None:
        """One uncommon word that begins one well-known artist's name and no other's ("some Kanye songs"; not
        "like Bieber": it ends one), where something marks a name; capitalised, or lowercase after a word that
        asks for someone ("more kanye"). "songs from Frozen" names no one: Frozen Plasma is little known."""
        key = req.key(i, i + 1)
        # "songs by kendrick", "add humble by kendrick": "by" after music or a song added names even in lowercase;
        # not "corrupted by rage"
        by = i > 1 and req.words[i - 1] == "by" and (req.words[i - 2] in _BY_NAME_BEFORE or req.words[0] in _ADD_VERBS)
        if (not req.free_name(i, i + 1) or self.vocab.is_common(key) or req.extends_capitals(i, i + 1)
                or not (req.cap(i) or by or self._lowercase_name(req, i, i + 1))
                or self._name_goes_on_lowercase(req, i, i + 1)):
            return None
        number = self.vocab.first_name_artist(key)
        if number is None:
            return None
        kind, start = self._context_of(req, i, i + 1, mentions)
        if kind is None and i > 0 and req.words[i - 1] in _FIRST_NAME_CUES and req.tokens[i - 1].segment == \
                req.tokens[i].segment:
            kind, start = "positive", i - 1  # "play some Kanye", "I love Kanye"
        if kind is None or not self._accept(req, i, i + 1, key, kind):
            return None
        return _Mention("artist", number, i, i + 1, kind == "negative", start, by=kind == "by")

    def _artist_title(self, req: _Request, m: _Mention) -> _Mention | None:
        """One of the artist's tracks named next to it: "X by A", "A's X", "A - X", "X - A", "X (A)"."""
        spans: list[tuple[int, int]] = []
        n = len(req.tokens)
        if (m.by or req.words[m.context_start] == "from") and 0 < m.context_start < m.start:
            end = m.context_start
            lo, _ = req.segment_bounds(end - 1)
            spans += [(a, end) for a in range(end - 1, max(lo, end - MAX_TITLE_WORDS) - 1, -1)]
        if req.tokens[m.end - 1].possessive and m.end < n:
            _, hi = req.segment_bounds(m.end)
            spans += [(m.end, b) for b in range(m.end + 1, min(hi, m.end + MAX_TITLE_WORDS) + 1)]
        own_lo, own_hi = req.segment_bounds(m.start)
        whole = req.whole_segment(m.start, m.end)

        # "SZA, The Weeknd": in a list, words that spell another artist's name name that artist, not a title
        def beside(a: int, b: int, dashed: bool) -> bool:
            return dashed or self.vocab.artist_number(req.key(a, b)) in (None, int(m.value))

        # "A - X", "X - A" (also "like Bill Withers - Ain't No Sunshine"), or A alone between commas
        if m.start > 0 and own_lo == m.start and (whole or req.dash_before(m.start)):
            lo, hi = req.segment_bounds(m.start - 1)
            spans += [(a, hi) for a in range(hi - 1, max(lo, hi - MAX_TITLE_WORDS) - 1, -1)
                      if beside(a, hi, req.dash_before(m.start))]
        if m.end < n and own_hi == m.end and (whole or req.dash_after(m.end)):
            lo, hi = req.segment_bounds(m.end)
            spans += [(lo, b) for b in range(lo + 1, min(hi, lo + MAX_TITLE_WORDS) + 1)
                      if beside(lo, b, req.dash_after(m.end))]
        # "do you have anything from Jay Z": words that ask are no title (JAY-Z's "Anything")
        spans = [(a, b) for a, b in spans if req.free(a, b)
                 and not all(w in STOPWORDS or w in _ASKING_NOUNS for w in req.words[a:b])]
        if not spans:
            return None
        hit = self.vocab.best_title([req.key(a, b) for a, b in spans], int(m.value))
        if hit is None:
            return None
        ref, pos = hit
        a, b = spans[pos]
        if b == m.context_start:  # "not X by A": the title's own context says whether it is excluded
            kind, start, _ = req.context(a, quoted=True)
            return _Mention("track", ref.track_id, a, b, kind == "negative", start)
        return _Mention("track", ref.track_id, a, b, m.negative, min(a, m.context_start))

    def _title_alone(self, req: _Request, i: int) -> _Mention | None:
        """A title named without a known artist: after "like" / "similar to" (a long title, or one written
        as a title), or quoted; never when "by" follows within a few words (an artist the catalog does not
        have, or whose version it lacks: another artist's song of that title is not the one meant)."""
        kind, start, phrase = req.context(i, quoted=True)  # 'like "Jolene"': the quote mark parts nothing
        if kind is None and (named := next((tuple(req.words[i - n:i]) for n in (2, 1) if i >= n and
                                            tuple(req.words[i - n:i]) in _SONG_NAMING), None)):
            kind, start, phrase = "positive", i - len(named), ("song",)  # a title context
        for j in range(min(i + MAX_TITLE_WORDS, len(req.tokens)), i, -1):
            if not req.free(i, j):
                continue
            key = req.key(i, j)
            ref = self.vocab.titles.get(key)
            # "Who I Am (Sim Simma) by Beanie Man": a version note may stand between a title and its artist
            by_soon = any(req.followed_by(k, "by") for k in range(j, min(j + BY_WITHIN, len(req.tokens))))
            if (ref is None or by_soon or req.followed_by(j, "from") or req.inside_quote(i, j)
                    or req.tokens[j - 1].possessive):
                continue
            quoted, ordinary = req.quoted(i, j), self.vocab.is_ordinary(key)
            if kind == "negative":
                ok = quoted
            elif j - i == 1:
                # one word names too many tracks ("Rage", "Hard", "Circles"): only a quoted one after "like"
                ok = quoted and phrase in _TITLE_CONTEXTS and not ordinary
            elif phrase in _TITLE_CONTEXTS:
                ok = quoted or (req.capitalised(i, j) and not req.extends_capitals(i, j)) or (j - i >= 3 and not ordinary)
            else:
                ok = quoted and req.cap(i) and not ordinary
            if ok:
                return _Mention("track", ref.track_id, i, j, kind == "negative", start)
        return None

    # ------------------------------------------------------------------ genres and moods

    def _phrases(self, req: _Request, mentions: list[_Mention], untitled: set[int]) -> tuple[
            list[str], list[str], list[str], list[dict[str, Range]], list[tuple[int, int]]]:
        genres: list[str] = []
        excluded: list[str] = []
        absent_excluded: list[str] = []
        moods: list[dict[str, Range]] = []
        refused: list[dict[str, Range]] = []
        softened_moods: list[dict[str, Range]] = []
        cut: list[tuple[int, int]] = []  # token spans to drop from the description (negated phrases)
        n = len(req.tokens)
        last_negated_genre_end = -2
        # "not a fan of X or the louder Y songs": what the turn-down of a name spans, and the words that go on its
        # list up to the next name, are turned down too (Y's louder songs, not Y)
        turned_down = {k for m in mentions if m.negative for k in range(m.context_start, m.start)}
        turned_down |= {k for m, after in zip(mentions, mentions[1:]) if m.negative and m.end < n
                        and req.words[m.end] in _LIST_WORDS and after.start - m.end <= 4
                        for k in range(m.end, after.start)}
        i = 0
        while i < n:
            hit = None
            for j in range(min(i + MAX_GENRE_WORDS, n), i, -1):
                if not req.free(i, j):
                    continue
                key = req.key(i, j)
                if key in self.vocab.genre_phrases:
                    hit = ("genre", key, j)
                elif key in self.vocab.mood_phrases:
                    hit = ("mood", key, j)
                elif key in _KNOWN_GENRE_KEYS and not any(req.key(k, j) in self.vocab.genre_phrases
                                                          for k in range(i + 1, j)):
                    hit = ("absent genre", key, j)  # "k-pop" and "death metal" still read their "pop", "metal"
                if hit:
                    break
            if hit is not None and everyday_noun(req.words, i, hit[1]):
                cut.append((i, hit[2]))  # "while cleaning the house": a home, not house music, nor searched as it
                i = hit[2]
                continue
            if hit is None or i in untitled or self._in_unknown_name(req, i):
                i += 1
                continue
            kind, key, j = hit
            negated = is_negated(req.words, i) or i in turned_down
            if kind in ("genre", "absent genre"):
                listed = i >= 2 and req.words[i - 1] in _LIST_WORDS and last_negated_genre_end == i - 1
                listed |= last_negated_genre_end == i and req.tokens[i].segment != req.tokens[i - 1].segment
                if negated or listed:
                    # an absent one ("rock, no jazz") has nothing to filter by, but is no word to search for
                    excluded += self.vocab.genre_phrases.get(key, ())
                    if kind == "absent genre":
                        absent_excluded.append(req.text[req.tokens[i].start:req.tokens[j - 1].end])
                    last_negated_genre_end = j
                    cut.append((_negation_start(req.words, i), j))
                elif kind == "genre":
                    genres += self.vocab.genre_phrases[key]
                else:
                    i = j
                    continue  # left in the description (the builder matches it in titles), and its words free
            elif negated:
                start = _negation_start(req.words, i)
                cut.append((start, j))
                # "not too sad" keeps the other side as "nothing too sad" does (it kept nothing)
                softened = req.words[start] == "not" and start + 1 < i and req.words[start + 1] in _SOFTENERS
                if (req.words[start] in _REFUSING or softened) and (
                        kept := _refused_mood(self.vocab.mood_phrases[key])):
                    (softened_moods if softened else refused).append(kept)
            elif i > 0 and req.words[i - 1] == "too":  # "way too heavy for me" asks for less, not for heavy
                cut.append((i - 1, j))
            else:
                ranges = mood_ranges(self.vocab.mood_phrases[key])
                if ranges:
                    moods.append(ranges)
                    # "dinner party" is calm: its "party", a lively mood alone, is not searched (it brought EDM)
                    cut += [(k, k + 1) for k in range(i, j) if j - i > 1 and _contradicts(ranges, req.words[k])]
            for k in range(i, j):
                req.used[k] = True
            i = j
        # a mood asked for outranks one turned away: "calming, non-ambient songs" is no call for energy; one softened
        # outranks the mood asked: "breakup songs but not too sad"
        moods += [r for r in refused if not any(name in m for m in moods for name in r)]
        softened_names = {name for r in softened_moods for name in r}
        moods = [kept for m in moods if (kept := {k: v for k, v in m.items() if k not in softened_names})]
        moods += softened_moods
        return genres, excluded, list(dict.fromkeys(absent_excluded)), moods, cut

    def _unknown_title_words(self, req: _Request, mentions: list[_Mention]) -> set[int]:
        """Tokens of a song the catalog lacks, named beside its catalog artist: between "like" and "by <artist>"
        ("songs like dance little liar by arctic monkeys"), after "<artist> - " ("like milky chance - running") or
        before " - <artist>" ("Hit and Run - LOLO").
        They are a title, so no mood or genre ("dance", "running"); "like sad songs by Adele" still says sad."""
        out: set[int] = set()
        n = len(req.tokens)
        for m in mentions:
            if m.kind != "artist":
                continue
            if 1 <= m.context_start < m.start and req.words[m.context_start] == "by":
                out.update(range(_title_start(req, m.context_start), m.context_start))
            elif m.end < n and _SONG_DASH.fullmatch(req.gap(m.end)):
                b = m.end + 1
                while b < n and b - m.end < MAX_TITLE_WORDS and req.tokens[b].segment == req.tokens[m.end].segment \
                        and not _CLAUSE_GAP.search(req.gap(b)):
                    b += 1
                out.update(range(m.end, b))
            elif m.start > 0 and _SONG_DASH.fullmatch(req.gap(m.start)):  # "Hit and Run - LOLO": no "run" mood
                a = m.start
                while a > 0 and m.start - a < MAX_TITLE_WORDS and (req.cap(a - 1) or
                                                                   req.words[a - 1] in _TITLE_SMALL_WORDS):
                    if a < m.start and (req.tokens[a - 1].segment != req.tokens[a].segment
                                        or _CLAUSE_GAP.search(req.gap(a))):
                        break  # the title ends at a comma or a new segment
                    a -= 1
                while a < m.start and not req.cap(a):
                    a += 1
                out.update(range(a, m.start))
        return out

    def _in_unknown_name(self, req: _Request, i: int) -> bool:
        """Whether token i goes on naming an artist the catalog lacks after "by": capitalised, within a few
        capitalised words of "by" that start no catalog artist's name ("by Dead Can Dance": no "dance" mood;
        "by Queen Rock anthems": rock)."""
        start = req.tokens[i].start
        match = _NAMED_ON.search(req.text, 0, start) if req.text[start].isupper() else None
        if match is None:
            return False
        first = next((k for k, t in enumerate(req.tokens) if t.start >= match.start() + 2), i)  # after "by"
        return all(self.vocab.artist_number(req.key(first, k)) is None for k in range(first + 1, i + 1))

    def _unknown_artists(self, req: _Request, mentions: list[_Mention]) -> list[tuple[int, int]]:
        """Token spans of artists named after "by" that the catalog lacks ("Blackout by Boris"). Their words
        name nobody here, so they steer nothing (Boris's "Blackout" is no reason for Scorpions' album
        "Blackout"). Only after a lowercase "by", which a title rarely holds ("Stand By Me"), and not after
        "inspired by" / "influenced by", which as often name a place or a film."""
        starts = [i + 1 for i, word in enumerate(req.words[:-1])
                  if word == "by" and req.text[req.tokens[i].start] == "b"
                  and not (i > 0 and req.words[i - 1] in _BY_CAUSES)]
        return self._unknown_runs(req, mentions, starts)

    def _unknown_references(self, req: _Request, mentions: list[_Mention]) -> list[tuple[int, int]]:
        """Token spans of names after "like", "similar to", ... that the catalog lacks, as artist or as song
        ("songs like Nujabes"): steering by their words brought Willie Nelson for "like Ricky Nelson". Not
        in a Title Case request, where capitals mark no name, nor a title ("like Slip away by Mad Season")."""
        if req.title_case:
            return []
        starts = [i for i in range(1, len(req.tokens)) if req.context(i)[2] in _REFERENCE_CONTEXTS
                  and (i < 2 or req.words[i - 2] not in _LIKE_VERBS)]

        def reference(a: int, b: int) -> bool:
            return (req.words[a] not in _NOT_NAME_WORDS and not any(req.used[a:b])  # a genre, a mood, a year
                    and "by" not in req.words[b:b + BY_WITHIN]
                    and not (b - a == 1 and req.words[a].endswith(PEOPLE_ENDINGS))  # "like Australian rapper"
                    and not any(self._style_word(w) for w in req.words[a:b]))  # "like Christmas Carols"

        return self._unknown_runs(req, mentions, starts, reference)

    def _style_word(self, word: str) -> bool:
        """A word naming a kind of music, in either number: a genre, a mood, a season or a medium."""
        vocab = self.vocab
        return any(w in vocab.genre_phrases or w in vocab.mood_phrases or w in _KNOWN_GENRE_KEYS or w in _STYLE_NOUNS
                   for w in (word, word.removesuffix("s")))

    def _unknown_runs(self, req: _Request, mentions: list[_Mention], starts: list[int],
                      accept: Callable[[int, int], bool] = lambda a, b: True) -> list[tuple[int, int]]:
        """The runs of capitalised words beginning at `starts` that no mention covers, that are no word or
        catalog name, and that `accept`; with the names listed after each ("like Aaron Copland and Philip
        Glass", "by Photek, Goldie")."""
        covered = {k for m in mentions for k in range(m.start, m.end)}
        n = len(req.tokens)

        def joined(k: int) -> bool:  # token k goes on the name before it: same segment, no comma or quote
            return k < n and req.tokens[k].segment == req.tokens[k - 1].segment and not _CLAUSE_GAP.search(req.gap(k))

        def name_goes_on(k: int) -> bool:
            return joined(k) and req.cap(k) and (req.words[k] not in _NOT_NAME_WORDS
                                                 or joined(k + 1) and req.cap(k + 1))

        def run(a: int) -> tuple[int, int] | None:
            if a >= n or not req.cap(a) or not joined(a):
                return None
            b = a + 1
            while b - a < MAX_NAME_WORDS:
                if name_goes_on(b):
                    b += 1
                elif (req.words[b:b + 1] and req.words[b] in _NAME_LINKS and joined(b) and name_goes_on(b + 1)
                      and not (req.words[b] == "and" and b - a > 1)):
                    b += 2  # "Iron and Wine", "In Love With a Ghost"; "Aaron Copland and Philip Glass" are two
                else:
                    break
            key = req.key(a, b)
            vocab = self.vocab
            if (any(k in covered for k in range(a, b)) or vocab.is_ordinary(key) or vocab.starts_artist(key)
                    or vocab.resolve_artist(key) or not accept(a, b)):
                return None  # a catalog name inside; "by Me", "by Metal"; "by Tyler, ..." (Tyler, The Creator)
            return a, b

        out: list[tuple[int, int]] = []
        listed = False
        while starts:
            runs = [r for a in starts if (r := run(a)) and not (listed and "by" in req.words[r[1]:r[1] + BY_WITHIN])]
            out += runs
            listed = True  # a listed run followed by "by" is a title: "by Deftones or Devil and God ... by Brand New"
            starts = [b + (req.words[b] in _LIST_WORDS) for _, b in runs
                      if joined(b) and req.words[b] in _LIST_WORDS or b < n and _LIST_GAP.search(req.gap(b))]
        return out

    def _unknown_songs(self, req: _Request) -> list[tuple[int, int]]:
        """Token spans of songs written "Artist - Title" that the catalog lacks ("Zero 7 - In The Waiting Line"):
        capitalised words on both sides of a spaced dash, none of them read as anything (an artist, a title, a
        genre, a mood). Their words steer nothing: Natalie Taylor's "I Want it All" is no reason for Queen."""
        out: list[tuple[int, int]] = []
        n = len(req.tokens)
        for k in range(1, n):
            if not _SONG_DASH.fullmatch(req.gap(k)):
                continue
            a = k
            while a > 0 and k - a < MAX_NAME_WORDS and req.tokens[a - 1].segment == req.tokens[k - 1].segment and (
                    req.cap(a - 1) or req.words[a - 1] in _NAME_LINKS and a - 1 > 0 and req.cap(a - 2)):
                a -= 1
            b = k
            while b < n and b - k < MAX_TITLE_WORDS and req.tokens[b].segment == req.tokens[k].segment and (
                    req.cap(b) or req.words[b] in _TITLE_SMALL_WORDS):
                b += 1
            while b > k and req.words[b - 1] in _TITLE_SMALL_WORDS and not req.cap(b - 1):
                b -= 1
            if (a < k < b and req.cap(a) and req.cap(k) and not any(req.used[a:b])
                    and req.key(a, k) not in _GREETINGS  # "Hello - I'd like to create a Christmas playlist"
                    and not self.vocab.resolve_artist(req.key(a, k)) and not self.vocab.resolve_artist(req.key(k, b))):
                out.append((a, b))
        return out

    # ------------------------------------------------------------------ the spec

    def _said_caps(self, req: _Request, mentions: list[_Mention]) -> tuple[dict[str, int], list[tuple[int, int]]]:
        """Caps said on named artists ("no more than one Queen song"): {artist: cap} and the text spans saying
        them, the names with them."""
        caps: dict[str, int] = {}
        spans: list[tuple[int, int]] = []
        for m in mentions:
            start, end = req.tokens[m.start].start, req.tokens[m.end - 1].end
            if m.kind == "artist" and not m.negative and (said := said_artist_cap(req.low[:start], req.low[end:])):
                caps.setdefault(self.vocab.artist_names[int(m.value)], said[0])
                spans.append((start - said[1], end + said[2]))
        return caps, spans

    def _assemble(self, req: _Request, findings: list[Finding], mentions: list[_Mention], genres: list[str],
                  excluded_genres: list[str], mood_groups: list[dict[str, Range]],
                  cut: list[tuple[int, int]]) -> ParsedRequest:
        vocab = self.vocab
        values: dict[str, Any] = {}
        phrases: list[tuple[str, str]] = []
        caps, cap_spans = self._said_caps(req, mentions)
        if caps:  # "at most 3 songs by Queen": no playlist of three
            findings = [f for f in findings if not any(a < f.end and f.start < b for a, b in cap_spans)]
            values["artist_caps"] = caps
            phrases += [("artist_caps", req.text[a:b]) for a, b in cap_spans]
        remove: list[tuple[int, int]] = [(f.start, f.end) for f in findings] + cap_spans
        for f in findings:
            phrases.append((f.field, req.text[f.start:f.end]))
            if f.field not in ("years", "features"):
                values.setdefault(f.field, f.value)  # the first mention of a field wins
        # "Modern songs that sound like 80's rock": the decade is a sound, not the years
        years = [f for f in findings if f.field == "years"]
        if _MODERN.search(req.text) and any(_ERA_AS_SOUND.search(req.text[:f.start]) or
                                            _ERA_INFLUENCE.match(req.text[f.end:]) for f in years):
            # "60s/70s influence": every decade said so; the decade stays in the description, as the sound to search
            sound = {(f.start, f.end) for f in years}
            remove = [span for span in remove if span not in sound]
            years = []
        if years:
            lo, hi = merge_years(years)
            values["year_min"] = None if lo is None else min(max(lo, 1900), 2100)
            values["year_max"] = None if hi is None else min(max(hi, 1900), 2100)
        explicit = [{f.value[0]: f.value[1]} for f in findings if f.field == "features"]
        for f in findings:
            if f.field == "about":  # "songs about feeling sad": sad songs as well as a subject
                words = normalize(str(f.value)).split()
                mood_groups = [*mood_groups, *(r for k, w in enumerate(words)
                                               if not is_negated(words, k) and (r := mood_ranges(w)))]
        features = combine_features(explicit, mood_groups)
        if features:
            values["features"] = features
        if "n_tracks" in values:
            values["n_tracks"] = min(max(int(values["n_tracks"]), 1), MAX_TRACKS)
        if "minutes" in values:
            values["minutes"] = min(float(values["minutes"]), float(MAX_MINUTES))
        if "max_per_artist" in values:
            values["max_per_artist"] = min(max(int(values["max_per_artist"]), 1), MAX_TRACKS)

        seeds, excluded_artists, seed_tracks, excluded_tracks = [], [], [], []
        for m in mentions:
            words = req.text[req.tokens[m.start].start:req.tokens[m.end - 1].end]
            if m.kind == "artist":
                name = vocab.artist_names[int(m.value)]
                (excluded_artists if m.negative else seeds).append(name)
                phrases.append(("exclude_artists" if m.negative else "seed_artists", words))
            elif m.kind == "track":
                (excluded_tracks if m.negative else seed_tracks).append(str(m.value))
                phrases.append(("exclude_tracks" if m.negative else "seed_tracks", words))
            if m.negative:
                remove.append((req.tokens[m.context_start].start, req.tokens[m.end - 1].end))
        for a, b in cut:
            remove.append((req.tokens[a].start, req.tokens[b - 1].end))
        values["seed_artists"] = [s for s in dict.fromkeys(seeds) if s not in excluded_artists]
        values["exclude_artists"] = list(dict.fromkeys(excluded_artists))
        values["seed_tracks"] = [t for t in dict.fromkeys(seed_tracks) if t not in excluded_tracks]
        values["exclude_tracks"] = list(dict.fromkeys(excluded_tracks))
        values["exclude_genres"] = list(dict.fromkeys(excluded_genres))
        values["genres"] = [g for g in dict.fromkeys(genres) if g not in values["exclude_genres"]]
        values = {k: v for k, v in values.items() if v not in ([], None)}
        values["description"] = _cut(req.text, remove)[:2000]
        try:
            spec = PlaylistSpec(**values)
        except ValidationError as exc:  # a combination the contract refuses: keep what is surely valid
            log.debug("parsed spec invalid (%s); keeping the description only", exc.errors()[0]["msg"])
            spec, values = PlaylistSpec(description=values["description"]), {"description": values["description"]}
        found = frozenset(k for k in values if k != "description" or values[k])
        return ParsedRequest(spec, found, phrases, req.text)


def _negation_start(words: list[str], i: int) -> int:
    start = negation_start(words, i)
    return i if start is None else start


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without `spans`, tidied: single spaces, no dangling punctuation."""
    keep = [True] * len(text)
    for a, b in spans:
        for k in range(max(a, 0), min(b, len(text))):
            keep[k] = False
    out = "".join(c if k else " " for c, k in zip(text, keep))
    out = _EMPTY_MARKS.sub(" ", out)  # 'songs like " "' once the name inside is cut
    if out.count('"') % 2:  # 'similar to "?' once the title and its "by" are cut: the mark left alone goes
        out = _ORPHAN_MARK.sub("", " ".join(out.split()), count=1)
    out = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(out.split()))
    out = re.sub(r"([,;])(?:\s*[,;])+", r"\1", out)  # "songs,, no rap" once "no remixes" is cut
    out = _REQUEST_VERB.sub("", out.strip(" ,;:-/&"))
    out = _DANGLING_END.sub("", _DANGLING_START.sub("", out.strip(" ,;:-/&")))
    return out.strip(" ,;:-/&")


_EMPTY_MARKS = re.compile(r"([\"“”'])\s*\1|“\s*”|\(\s*\)|\[\s*\]")
_ORPHAN_MARK = re.compile(r"(?:(?<=\s)|^)\"(?=\s|[?.!,;:]|$)")
_SMALL_WORDS = r"(?:but|and|or|with|without|no|not|please|in|of|from|for|by|to|the|a|an|that|which|about|around)"
_DANGLING_START = re.compile(rf"^(?:{_SMALL_WORDS}\b[\s,]*)+", re.I)
# How a request opens says nothing about the music: "Make me", "Can you give us", "I'm looking for".
_REQUEST_VERB = re.compile(
    r"^(?:(?:hey|hi|hello|please|pls)\b[\s,!]*)*(?:(?:can|could|would|will) you\s+)?(?:please\s+)?"
    r"(?:(?:make|give|create|build|generate|put together|play|find|get|recommend|suggest|compile|curate|send)"
    r"(?:\s+(?:me|us))?|i(?:'d| would)? (?:want|need|like|love)|i'?m looking for|looking for)\b"
    r"(?:\s+to\s+(?:create|make|build|put together|have|get|hear|listen to)\b)?[\s,]*", re.I)
_DANGLING_END = re.compile(rf"(?:(?:^|[\s,]+){_SMALL_WORDS})+$", re.I)


# --------------------------------------------------------------------------- the LLM's proposal

Short = Annotated[str, StringConstraints(max_length=60)]


class FeatureProposal(BaseModel):
    name: FeatureName
    min: float | None = None
    max: float | None = None


class SpecProposal(BaseModel):
    """What an LLM may propose for a spec: bounded for the grammar, checked by `merge_proposal`."""

    description: str = Field(default="", max_length=300)
    genres: list[Short] = Field(default_factory=list, max_length=3)
    exclude_genres: list[Short] = Field(default_factory=list, max_length=3)
    seed_artists: list[Short] = Field(default_factory=list, max_length=4)
    exclude_artists: list[Short] = Field(default_factory=list, max_length=4)
    seed_titles: list[Short] = Field(default_factory=list, max_length=3)
    year_min: int | None = None
    year_max: int | None = None
    features: list[FeatureProposal] = Field(default_factory=list, max_length=4)
    n_tracks: int | None = None
    minutes: float | None = None
    max_per_artist: int | None = None
    popularity: Popularity = "any"
    ordering: Ordering = "retrieved"
    allow_remixes: bool | None = None


# A proposed range narrower than this, once clipped to the feature's scale, is dropped: "energy 7" clips
# to exactly 1.0, which no model meant.
MIN_RANGE_WIDTH = {"tempo": 10.0}
MIN_UNIT_RANGE_WIDTH = 0.1
EDGE_SHARE = 0.01
# A proposed count below this is noise (the parser reads "3 songs" itself).
MIN_PROPOSED_TRACKS = 5
# A proposed artist or title must be written in the request (fuzzily): the model may fix a spelling the
# parser missed, but an artist the listener never named is an invention, however real the name.
MENTION_CUTOFF = 85.0
SPEC_MAX_TOKENS = 300
LLM_FALLBACK = "The language model is unavailable ({reason}); the request was read without it."


def _clip_range(name: str, r: FeatureProposal) -> Range | None:
    lo_bound, hi_bound = TEMPO_BOUNDS if name == "tempo" else (0.0, 1.0)
    lo = None if r.min is None else min(max(r.min, lo_bound), hi_bound)
    hi = None if r.max is None else min(max(r.max, lo_bound), hi_bound)
    if lo is not None and hi is not None and lo > hi:
        return None
    edge = (hi_bound - lo_bound) * EDGE_SHARE  # a bound at the edge of the scale constrains nothing
    if lo is not None and lo <= lo_bound + edge:
        lo = None
    if hi is not None and hi >= hi_bound - edge:
        hi = None
    if lo is None and hi is None:
        return None
    width = (hi if hi is not None else hi_bound) - (lo if lo is not None else lo_bound)
    return Range(min=lo, max=hi) if width >= MIN_RANGE_WIDTH.get(name, MIN_UNIT_RANGE_WIDTH) else None


def _year(value: int | None, vocab: Vocabulary) -> int | None:
    return value if value is not None and 1900 <= value <= vocab.latest_year + 1 else None


def _mentioned(name: str, request_key: str) -> bool:
    key = name_key(name)
    return bool(key) and fuzz.partial_ratio(key, request_key) >= MENTION_CUTOFF


def merge_proposal(parsed: ParsedRequest, proposal: SpecProposal, vocab: Vocabulary) -> PlaylistSpec:
    """The parser's spec completed by an LLM's proposal. Every proposed value is checked against the catalog
    (unknown genres, artists and titles are dropped; artists and titles must also be written in the
    request), ranges are clipped, numbers bounded; a field the parser read from the request itself is
    never overridden."""
    base, found = parsed.spec, parsed.found
    request_key = name_key(parsed.request)
    out: dict[str, Any] = base.model_dump()

    def take(name: str, value: Any) -> None:
        if name not in found and value not in (None, [], {}, ""):
            out[name] = value

    genres = [g for p in proposal.genres for g in vocab.resolve_genre(p) if g not in base.exclude_genres]
    excluded = [g for p in proposal.exclude_genres for g in vocab.resolve_genre(p) if g not in base.genres]
    take("genres", list(dict.fromkeys(genres)))
    take("exclude_genres", list(dict.fromkeys(excluded)))
    seeds = [a for a in map(vocab.resolve_artist, proposal.seed_artists)
             if a and a not in base.exclude_artists and _mentioned(a, request_key)]
    banned = [a for a in map(vocab.resolve_artist, proposal.exclude_artists)
              if a and a not in base.seed_artists and _mentioned(a, request_key)]
    take("seed_artists", list(dict.fromkeys(seeds)))
    take("exclude_artists", list(dict.fromkeys(banned)))
    artists = out["seed_artists"] or [None]
    tracks = [t for title in proposal.seed_titles if _mentioned(title, request_key)
              for a in artists if (t := vocab.resolve_track(title, a))]
    take("seed_tracks", [t for t in dict.fromkeys(tracks) if t not in base.exclude_tracks])
    if not found & {"year_min", "year_max"}:
        lo, hi = _year(proposal.year_min, vocab), _year(proposal.year_max, vocab)
        if lo is None or hi is None or lo <= hi:
            out["year_min"], out["year_max"] = lo, hi
    features = dict(base.features)
    for f in proposal.features:
        if f.name in FEATURE_NAMES and f.name not in features and (r := _clip_range(f.name, f)):
            features[f.name] = r
    out["features"] = features
    take("n_tracks", None if proposal.n_tracks is None or proposal.n_tracks < MIN_PROPOSED_TRACKS
         else min(proposal.n_tracks, MAX_TRACKS))
    take("minutes", None if proposal.minutes is None or proposal.minutes <= 0 else min(proposal.minutes, MAX_MINUTES))
    take("max_per_artist", None if proposal.max_per_artist is None or proposal.max_per_artist < 1
         else min(proposal.max_per_artist, MAX_TRACKS))
    take("popularity", None if proposal.popularity == "any" else proposal.popularity)
    take("ordering", None if proposal.ordering == "retrieved" else proposal.ordering)
    if "allow_remixes" not in found and proposal.allow_remixes is not None:
        out["allow_remixes"] = proposal.allow_remixes
    if not base.description and not base.about:  # "songs about rain" is said whole by its subject
        out["description"] = proposal.description.strip()[:2000]
    try:
        return PlaylistSpec(**out)
    except ValidationError as exc:
        log.debug("merged spec invalid (%s); keeping the parser's", exc.errors()[0]["msg"])
        return base


def propose_spec(llm: LLMClient, request: str, vocab: Vocabulary) -> SpecProposal:
    """Ask the LLM to fill `SpecProposal` for a request (raises `LLMError` on failure)."""
    prompt = render_prompt("spec_extraction", request=request, genres=", ".join(sorted(vocab.labels)),
                           latest_year=vocab.latest_year)
    return llm.structured([{"role": "user", "content": prompt}], SpecProposal, max_tokens=SPEC_MAX_TOKENS)


# How the notices about what the catalog lacks begin (evals count them by these)
ABSENT_GENRE = "the catalog files no tracks under"
UNKNOWN_ARTIST = "the catalog has no artist called"
UNKNOWN_SONG = "the catalog has no song"
UNKNOWN_REFERENCE = "the catalog has no artist or song called"
UNSEEN_REFERENCE = "the request points at something I cannot see"
UNKNOWN_SINGER = "the catalog does not say whether a woman or a man sings"
FOLLOWS_THE_REST = "the playlist follows the request's other words"
# "female rappers", "songs with male vocals", "sung by women": nothing in the catalog says so
_SINGER_SAID = re.compile(r"(?i)\b(?:female|male|women|woman|girls?|guys?|men|man|lady|ladies)\s+(?:singers?|vocals?|"
                          r"vocalists?|rappers?|artists?|voices?|leads?|djs?|musicians?|fronted)\b|"
                          r"\b(?:sung|sang|performed) by (?:a |an )?(?:women|woman|girls?|men|man|guys?|females?|"
                          r"males?)\b|\bby (?:females|males|women|men)\b")


def singer_notices(request: str) -> list[str]:
    """The line for the listener when the request asks who sings ("female rappers"), which no track says."""
    return [f"{UNKNOWN_SINGER}: {FOLLOWS_THE_REST}"] if _SINGER_SAID.search(request) else []


def catalog_gap_notices(request: str, vocab: Vocabulary) -> list[str]:
    """Lines for the listener when the request asks for what the catalog does not hold: well-known genres it
    files nothing under (the builder then matches those words only in each track's own title:
    `PlaylistBuilder.search_query`), or who sings ("female rappers")."""
    absent = vocab.absent_genres(request)
    notices = singer_notices(request)
    if not absent:
        return notices
    in_titles = [g for g in absent if len(name_key(g).split()) == 1]  # `Vocabulary.without_absent_genres`
    titles = f" and titles that say {' or '.join(in_titles)}" if in_titles else ""
    return [f"{ABSENT_GENRE} {' or '.join(absent)}: {FOLLOWS_THE_REST}{titles}", *notices]


def reading_notices(parsed: ParsedRequest, vocab: Vocabulary) -> list[str]:
    """What the listener should know of how a request was read: a genre, an artist or a singer's sex the catalog
    does not hold, or a song it points at without naming ("like this": most real requests were posted beside a
    link)."""
    notices = catalog_gap_notices(parsed.request, vocab)
    if parsed.unknown_artists:
        notices.append(f"{UNKNOWN_ARTIST} {' or '.join(parsed.unknown_artists)}: {FOLLOWS_THE_REST}")
    if parsed.unknown_references:
        notices.append(f"{UNKNOWN_REFERENCE} {' or '.join(parsed.unknown_references)}: {FOLLOWS_THE_REST}")
    if parsed.unknown_songs:
        songs = " or ".join(f'"{song}"' for song in parsed.unknown_songs)
        notices.append(f"{UNKNOWN_SONG} {songs}: {FOLLOWS_THE_REST}")
    pointer = points_at_unseen(normalize(parsed.request))
    if pointer and not parsed.spec.seed_tracks and not parsed.spec.seed_artists:
        notices.append(f'{UNSEEN_REFERENCE} ("{pointer}"): name a song and its artist, or describe the sound; '
                       f"{FOLLOWS_THE_REST}")
    return notices


def understand(request: str, index: TrackIndex | Vocabulary, llm: LLMClient | None = None, *,
               settings: Settings | None = None, notices: list[str] | None = None) -> PlaylistSpec:
    """The spec of a request: the parser's, completed by the LLM's checked proposal when the LLM is capable.
    When the LLM fails, the parser's spec is returned and a line for the listener is added to `notices`."""
    vocab = index if isinstance(index, Vocabulary) else Vocabulary.for_index(index)
    max_chars = (settings or get_settings()).max_message_chars
    parsed = RequestParser(vocab, max_chars).analyse(request)
    if notices is not None:
        notices += reading_notices(parsed, vocab)
    # Only a served model (backend "openai", e.g. vLLM) is asked. The embedded SmolLM2-135M makes specs
    # worse: under a schema it writes valid JSON with invented content (genre "Electric Slinky", tempo
    # "slow" for a run; see shared NOTES), and costs seconds of a shared CPU for every request.
    if llm is None or getattr(llm, "backend", None) != "openai":
        return parsed.spec
    try:
        proposal = propose_spec(llm, clean(request, max_chars), vocab)
    except LLMError as exc:
        log.debug("LLM spec proposal failed, using the parser's spec: %s", exc)
        if notices is not None:
            notices.append(LLM_FALLBACK.format(reason=exc))
        return parsed.spec
    return merge_proposal(parsed, proposal, vocab)
