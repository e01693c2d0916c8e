"""Playlist building: every hard constraint of a `PlaylistSpec` met exactly, relevance balanced with diversity.

Steps of `PlaylistBuilder.build`:
1. Mask: the spec's filters (year, features, popularity, genres) and the rules that are never relaxed:
   exclusions (artists, genres, track ids and other copies of those songs), the remix rule (variant versions
   only when asked for) and the seeds themselves (a playlist "like X" brings new songs).
2. Relevance: `HybridSearcher.scores` for the description and seeds, nudged by the popularity preference.
3. Selection: first the best allowed tracks of the artists the listener named (min(3, cap) for one, one
   each for several, at most half the playlist), then greedy MMR (relevance vs. the highest cosine
   similarity to what is already chosen) over the best candidates, honouring the per-artist cap, one copy
   per song and the length: exactly n tracks, or a total within one track's length of the asked minutes (and
   not past them for "under an hour", not short of them for "at least an hour").
   A named artist none of whose tracks meets the hard constraints is reported as relaxed ("seed_artists").
4. Relaxation, only when too few tracks qualify, in this order: a subgenre widened to its genre ("neo soul" to
   all of "r&b"), popularity preference, feature ranges (widened step by step, then dropped), each track's length
   (widened by half a minute at a time, then dropped), per-artist cap, year range (widened, then dropped),
   genres. The subgenre goes first because it is the finest part of a request and often the catalog's word rather
   than the listener's ("soul" reads as "neo soul"): the family keeps the era, mood and fame the listener did say
   (the catalog's 1970s soul is mostly "urban contemporary").
   Exclusions, duplicates and the remix rule are never relaxed. Each relaxation is reported in
   `Playlist.relaxed` with the counts that forced it; everything not reported still holds
   (`violations()` checks it).
5. Order as the spec asks (`sequencing.order_tracks`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import numpy as np

from assistant.lexicon import is_negated, negation_start, without_filler, without_pointers
from assistant.playlist import Playlist, Relaxation
from assistant.sequencing import order_tracks
from assistant.spec import MAX_TRACKS, PlaylistSpec, track_ms
from assistant.vocabulary import Vocabulary
from retrieval.catalog import Track
from retrieval.filters import Range, TrackFilter, filter_mask
from retrieval.hybrid import HybridSearcher, SearchQuery, standardise
from retrieval.index import TrackIndex, artist_key, featured_keys, top_k
from retrieval.lexical import fold, tokenize, word_forms

DEFAULT_MAX_PER_ARTIST = 2
SEED_ARTIST_CAP = 3  # an artist the listener named may appear this often unless the spec sets a cap
SEED_ARTIST_SHARE = 0.5  # at most this share of the slots is reserved for named artists (at least one each)

# Names of relaxable constraints as they appear in `Relaxation.constraint` (features use their own name).
POPULARITY, MAX_PER_ARTIST, YEAR, GENRES, LENGTH = "popularity", "max_per_artist", "year", "genres", "length"
TRACK_MINUTES = "track_minutes"  # each track's length
SEED_ARTISTS = "seed_artists"  # reported when no track of a named artist meets the hard constraints

FEATURE_STEP = {"tempo": 5.0, TRACK_MINUTES: 0.5}  # widening per relaxation step; 0..1 features use the default
DEFAULT_FEATURE_STEP = 0.05
FEATURE_STEPS = 6  # then the feature constraint is dropped
TEMPO_CEILING = 250.0  # BPM; a widened upper tempo bound at or above this no longer constrains anything
TRACK_MINUTES_CEILING = 15.0  # a widened upper track length at or above this no longer constrains anything
YEAR_WIDENINGS = (1, 2, 5, 10)  # years added on each open side, then the year range is dropped


# ------------------------------------------------------------------------------------- song identity

_SUFFIX = re.compile(r"\s+-\s+(.*)$")
_BRACKETS = re.compile(r"[(\[]([^)\]]*)[)\]]")
_FEAT_TAIL = re.compile(r"\s+(?:feat|ft|featuring)\.?\s.*$")
_VERSION_WORDS = re.compile(
    r"\b(?:feat|ft|featuring|with|remaster|remastered|remasterizado|edit|mix|remix|version|live|mono|stereo|"
    r"explicit|clean|radio|acoustic|demo|instrumental|single|album|bonus|deluxe)\b")
_REMIX_WORDS = re.compile(r"\b(?:remix|remixes|rmx|bootleg|mash ?up|rework|re-?edit|vip)\b")
_VARIANT_MARK = re.compile(r"\b(?:mix|edit|version|dub)\b")
# Words of a qualifier that name the canonical recording ("2011 Remaster", "Radio Edit", "Original Mix").
_CANONICAL_WORDS = frozenset(
    "mix edit version original radio single album remaster remastered digital mono stereo explicit clean lp "
    "full length 7".split())
_REMIX_TERMS = re.compile(r"\bremix|\brmx\b|\bclub mix|\bextended mix")  # in a request: remixes are wanted


def _qualifiers(folded_title: str) -> list[str]:
    parts = [m.group(1) for m in _BRACKETS.finditer(folded_title)]
    suffix = _SUFFIX.search(_BRACKETS.sub(" ", folded_title))
    if suffix:
        parts.append(suffix.group(1))
    return [p for segment in parts for p in re.split(r"[/;]", segment)]


def is_remix(title: str) -> bool:
    """A variant version (remix, club/extended/vocal mix, producer edit, ...), not the canonical recording.
    "Radio Edit", "Original Mix", "Single Version" and "2011 Remaster" are canonical."""
    folded = fold(title)
    if _REMIX_WORDS.search(folded):
        return True
    for segment in _qualifiers(folded):
        if _VARIANT_MARK.search(segment):
            words = re.findall(r"[^\W\d_]+|\d+", segment)
            if any(w not in _CANONICAL_WORDS and not (w.isdigit() and len(w) == 4) for w in words):
                return True
    return False


def title_key(title: str) -> str:
    """The song's title without version qualifiers: "Bohemian Rhapsody - Remastered 2011" and
    "Bohemian Rhapsody" give the same key, "Mama (feat. Ellie Goulding)" gives "mama"."""
    folded = fold(title)
    core = _BRACKETS.sub(lambda m: " " if _VERSION_WORDS.search(m.group(1)) else f" {m.group(1)} ", folded)
    core = _SUFFIX.sub("", core)
    core = _FEAT_TAIL.sub("", core)
    core = " ".join(re.findall(r"\w+", core))
    return core or " ".join(re.findall(r"\w+", folded)) or folded.strip()


def song_key(track: Track) -> str:
    """Tracks with the same key are the same song (another id, a remaster, a "feat." spelling). A remix is
    its own song: it is only eligible when remixes are allowed, and then it may sit beside the original."""
    key = f"{title_key(track.title)}|{artist_key(track.artist)}"
    return f"{key}|{fold(track.title)}" if is_remix(track.title) else key


_QUOTED_TEXT = re.compile(r'"[^"]*"')  # a quoted title ("... - Steve Aoki Remix") asks for no remixes


def is_live(title: str) -> bool:
    """A live recording: a qualifier that starts with "live" ("Paparazzi - Live", "Open Over Us (Live)", "... - Live
    at Bestival 2012"); not "Live Forever" nor "(Dying To Live)"."""
    return any(re.match(r"live\b", segment) for segment in _qualifiers(fold(title)))


def remixes_allowed(spec: PlaylistSpec) -> bool:
    return spec.allow_remixes or bool(_REMIX_TERMS.search(_QUOTED_TEXT.sub(" ", fold(spec.description))))


# Christmas songs suit a Christmas request and little else: a "70s soul" playlist should not bring "Santa Claus
# Is Coming to Town" because the catalog's soul playlists hold holiday albums. Titles name the song; an album
# title names a whole holiday record ("A Motown Christmas"). Plain "Santa" is not enough ("Santa Monica").
_SEASONAL_TITLE = re.compile(
    r"\b(?:christmas|x-?mas|navidad|santa claus|santa baby|back door santa|hey santa|jingle bells?|sleigh ride|"
    r"rudolph|reindeer|mistletoe|frosty the snowman|silent night|winter wonderland|let it snow|deck the halls|"
    r"little drummer boy|hark the herald|come all ye faithful|happy holidays?)\b")
_SEASONAL_ALBUM = re.compile(r"\b(?:christmas|navidad)\b")  # not "xmas": "Best of [X-Mas Edition]" is a reissue
# "holiday" is the season in "holiday music" or "the holidays", not in "going on holiday to a summer resort"
_HOLIDAY = (r"(?<!summer )(?<!beach )(?<!bank )(?:holidays|holiday(?=\s+(?:music|songs?|season|party|playlist|"
            r"tunes|classics|spirit|cheer|favou?rites|mix|vibes|hits|album|carols|time|theme|special)\b))")
_CHRISTMAS_WORDS = re.compile(rf"\b(?:christmas|x-?mas|navidad|{_HOLIDAY}|festive|yule|yuletide)\b")
_SEASON_WORDS = re.compile(
    rf"\b(?:christmas|x-?mas|navidad|noel|santa|jingle|{_HOLIDAY}|festive|yule|yuletide|advent|december|winter|snow)\b")
_CHRISTMAS_WORD = re.compile(r"christmas|x-?mas|navidad|holidays?|festive|yule|yuletide")  # one word said alone


def is_seasonal(track: Track) -> bool:
    """A Christmas song, by its title or its album's."""
    return bool(_SEASONAL_TITLE.search(fold(track.title)) or _SEASONAL_ALBUM.search(fold(track.album)))


def seasonal_allowed(spec: PlaylistSpec) -> bool:
    """Christmas songs are eligible only when the request names the season and turns none of it down ("winter
    songs, no Christmas songs": the winter without the holiday)."""
    text = f"{spec.description} {spec.about}"
    return bool(_SEASON_WORDS.search(fold(text))) and not season_turned_down(text)


def seasonal_wanted(spec: PlaylistSpec) -> bool:
    """Whether the request asks for Christmas songs ("a playlist of Christmas songs", "holiday music"), not only
    lets them in ("winter songs") nor turns them away ("no Christmas songs")."""
    text = fold(f"{spec.description} {spec.about}")
    words = text.split()
    return any(not is_negated(words, len(text[:m.start()].split())) for m in _CHRISTMAS_WORDS.finditer(text))


_SONG_NOUNS = frozenset("song songs music tracks track tunes stuff carols".split())


def _turned_down_spans(words: list[str]) -> list[tuple[int, int]]:
    """The word spans that turn the season down: "no christmas songs", "without any holiday music"."""
    spans = []
    for i, word in enumerate(words):
        if _CHRISTMAS_WORD.fullmatch(word.strip(".,!?;:'\"()")) and (start := negation_start(words, i)) is not None:
            end = i + 2 if i + 1 < len(words) and words[i + 1].strip(".,!?;:") in _SONG_NOUNS else i + 1
            spans.append((start, end))
    return spans


def without_christmas(text: str) -> str:
    """`text` without the holiday's own words: "christmas songs for the family" -> "songs for the family"."""
    return " ".join(w for w in text.split() if not _CHRISTMAS_WORD.fullmatch(fold(w).strip(".,!?;:'\"()")))


def season_turned_down(text: str) -> bool:
    return bool(_turned_down_spans(fold(text).split()))


def without_turned_down_season(text: str) -> str:
    """`text` without the words that turn the season down: searched, "no christmas songs" would bring them."""
    words = text.split()
    cut = {k for a, b in _turned_down_spans(fold(text).split()) for k in range(a, b)}
    return " ".join(w for k, w in enumerate(words) if k not in cut) if cut else text


def topic_words(track: Track, about: str) -> list[str]:
    """The words of a subject ("songs about rain") that the track's title says, in either number."""
    said = tokenize(track.title)
    return [t for w in word_forms(about) for t in said if t == w]


def artist_caps(spec: PlaylistSpec) -> tuple[int, dict[str, int]]:
    """(cap for every artist, the caps of artists that differ) as the spec states them (before relaxation): named
    artists may appear more often unless the spec sets a cap; a cap said for an artist holds whatever the rest."""
    said = said_caps(spec)
    if spec.max_per_artist is not None:
        return spec.max_per_artist, said
    return DEFAULT_MAX_PER_ARTIST, {artist_key(a): SEED_ARTIST_CAP for a in spec.seed_artists} | said


def said_caps(spec: PlaylistSpec) -> dict[str, int]:
    """The caps said for single artists ("no more than one Queen song"), by artist key; never relaxed."""
    return {artist_key(a): n for a, n in spec.artist_caps.items()}


# ------------------------------------------------------------------------------------- formatting


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.2f}".rstrip("0")


def describe_range(name: str, r: Range | None) -> str:
    if r is None or (r.min is None and r.max is None):
        return f"any {name}"
    if name == TRACK_MINUTES:
        if r.min is not None and r.max is not None:
            return f"tracks {_num(r.min)}–{_num(r.max)} min"
        return f"tracks up to {_num(r.max)} min" if r.max is not None else f"tracks of {_num(r.min)} min or more"
    if r.min is not None and r.max is not None:
        if r.min == r.max:
            return f"{int(r.min)}" if name == "year" else f"{name} {_num(r.min)}"
        if name == "year":
            return f"{int(r.min)}–{int(r.max)}"
        return f"{name} {_num(r.min)}–{_num(r.max)}"
    if r.min is not None:
        return f"year >= {int(r.min)}" if name == "year" else f"{name} >= {_num(r.min)}"
    return f"year <= {int(r.max)}" if name == "year" else f"{name} <= {_num(r.max)}"  # type: ignore[arg-type]


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "?:??"
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _level(value: float) -> str:
    return "high" if value >= 0.66 else "low" if value < 0.33 else "mid"


def reason_line(track: Track, spec: PlaylistSpec) -> str:
    """Why a track fits, from its metadata: e.g. "2016 · dance pop · high energy (0.86) · 124 BPM"."""
    parts: list[str] = []
    if track.year:
        parts.append(str(track.year))
    labels = [*track.subgenres, *track.genres]
    wanted = [g for g in labels if g in spec.genres]
    if wanted or labels:
        parts.append((wanted or labels)[0])
    if artist_key(track.artist) in {artist_key(a) for a in spec.seed_artists}:
        parts.append("artist you named")
    if spec.about and (said := topic_words(track, spec.about)):
        parts.append(f"title says \"{' '.join(said)}\"")
    shown = [n for n in spec.features if n != "tempo"] or ["energy"]
    for name in shown:
        value = getattr(track, name)
        if value is not None:
            parts.append(f"{_level(value)} {name} ({value:.2f})")
    if track.tempo:
        parts.append(f"{round(track.tempo)} BPM")
    if spec.popularity != "any" and track.popularity is not None:
        parts.append(f"{'popular' if spec.popularity == 'hits' else 'deep cut'} ({track.popularity}/100)")
    return " · ".join(parts)


def _title(spec: PlaylistSpec) -> str:
    text = " ".join(spec.description.split())
    if spec.about:
        text = f"{text} · about {spec.about}" if text else f"Songs about {spec.about}"
    if text:
        text = text if len(text) <= 60 else text[:57].rsplit(" ", 1)[0] + "…"
        return text[0].upper() + text[1:]
    bits = [", ".join(spec.genres[:2]).title()] if spec.genres else []
    if spec.seed_artists:
        bits.append(f"{'Like' if spec.others_only else 'Around'} {', '.join(spec.seed_artists[:2])}")
    if spec.year_min is not None or spec.year_max is not None:
        bits.append(describe_range("year", Range(min=spec.year_min, max=spec.year_max)))
    return " · ".join(b for b in bits if b) or "Segue mix"


ORDER_WORDS = {"rising": "energy rising", "falling": "energy winding down", "arc": "warm-up, peak, cool-down",
               "smooth": "smooth tempo and key transitions"}


def _description(tracks: list[Track], spec: PlaylistSpec) -> str:
    minutes = round(sum(t.duration_ms or 0 for t in tracks) / 60000)
    parts = [f"{len(tracks)} tracks, {minutes} min"]
    if spec.genres:
        parts.append(", ".join(spec.genres))
    if spec.year_min is not None or spec.year_max is not None:
        parts.append(describe_range("year", Range(min=spec.year_min, max=spec.year_max)))
    parts.extend(describe_range(n, r) for n, r in spec.features.items())
    if spec.track_minutes is not None:
        parts.append(describe_range(TRACK_MINUTES, spec.track_minutes))
    if spec.popularity != "any":
        parts.append("hits" if spec.popularity == "hits" else "deep cuts")
    if spec.ordering in ORDER_WORDS:
        parts.append(ORDER_WORDS[spec.ordering])
    return " · ".join(parts)


# ------------------------------------------------------------------------------------- building


@dataclass
class BuildConfig:
    pool: int = 300  # MMR candidates (the best-scoring allowed tracks)
    mmr_lambda: float = 0.7  # 1 = relevance only, 0 = diversity only
    popularity_prior: float = 0.15  # with no popularity preference, lean slightly towards known tracks
    popularity_preference: float = 0.6  # weight of popularity for "hits" (negated for "deep_cuts")
    max_tracks: int = MAX_TRACKS  # most tracks a playlist may hold (minutes-based lengths stop here too)
    season_preference: float = 16.0  # a Christmas song's lead when Christmas is asked for (the named-artist weight)


@dataclass
class _Limits:
    """The relaxable constraints currently enforced: the spec's, minus what was relaxed so far."""

    year: Range | None
    features: dict[str, Range]
    popularity: Range | None
    genres: list[str]
    cap: int | None  # None: no per-artist cap
    artist_caps: dict[str, int] = field(default_factory=dict)  # named artists' caps, relaxed with `cap`
    said_caps: dict[str, int] = field(default_factory=dict)  # caps said for an artist (by name), never relaxed
    track_minutes: Range | None = None

    def describe(self) -> str:
        parts = [describe_range(n, r) for n, r in self.features.items()]
        if self.track_minutes:
            parts.append(describe_range(TRACK_MINUTES, self.track_minutes))
        if self.year:
            parts.append(describe_range("year", self.year))
        if self.genres:
            parts.append("genre " + " or ".join(self.genres))
        if self.popularity:
            parts.append(describe_range("popularity", self.popularity))
        if self.cap is not None:
            parts.append(f"at most {self.cap} per artist")
        parts += [f"at most {n} by {a}" for a, n in self.said_caps.items()]
        return ", ".join(parts) or "no other constraint"


@dataclass
class _Selection:
    rows: list[int] = field(default_factory=list)
    total_ms: int = 0
    per_artist: dict[int, int] = field(default_factory=dict)
    songs: set[int] = field(default_factory=set)


class PlaylistBuilder:
    """Builds playlists over one index; reuse one builder for many requests (its song table is built once)."""

    def __init__(self, index: TrackIndex, searcher: HybridSearcher | None = None,
                 config: BuildConfig | None = None) -> None:
        self.index = index
        self.searcher = searcher or HybridSearcher(index)
        self.config = config or BuildConfig()
        keys = [song_key(t) for t in index.tracks]
        ids: dict[str, int] = {}
        self.song = np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)
        self.song_artist = np.zeros(len(ids), dtype=np.int64)
        self.song_artist[self.song] = index.artist
        self.remix = np.array([is_remix(t.title) for t in index.tracks], dtype=bool)
        self.live = np.array([is_live(t.title) for t in index.tracks], dtype=bool)
        self.seasonal = np.array([is_seasonal(t) for t in index.tracks], dtype=bool)
        self.duration = np.nan_to_num(index.duration_ms, nan=0.0).astype(np.int64)
        pop = index.popularity
        self.popularity_z = standardise(np.where(np.isnan(pop), np.nanmean(pop) if np.isfinite(pop).any() else 0.0, pop))

    # ------------------------------------------------------------------ public

    def search_query(self, spec: PlaylistSpec) -> SearchQuery:
        """What to search for a spec on its own. A genre the catalog files nothing under is matched in titles
        (`Vocabulary.without_absent_genres`) unless seed songs or artists say what it sounds like: then its word
        stays, spread to the artists that match it as the rest of the request is. Without seeds, words that point
        at something unseen ("these kinds of songs") are not searched either."""
        seeded = bool(spec.seed_tracks or spec.seed_artists)
        text = without_turned_down_season(spec.description)
        text, about = without_filler(text if seeded else without_pointers(text)), spec.about
        if not seeded:
            text, about = Vocabulary.for_index(self.index).without_absent_genres(text, about)
        return SearchQuery(text=text, about=about, seed_track_ids=spec.seed_tracks, seed_artists=spec.seed_artists)

    def build(self, spec: PlaylistSpec, query: SearchQuery | None = None, *, avoid: Iterable[str] = (),
              extra: np.ndarray | None = None, taken: Iterable[str] = ()) -> Playlist:
        """The playlist for `spec`; `query` replaces the spec-made search query (e.g. with conversation history),
        `avoid` lists track ids never to use (nor other copies of their songs), `extra` is a weighted
        per-track score added to the relevance (the listener's taste, see assistant/taste.py). `taken` are the
        tracks the new ones will join (a chat's kept tracks): they count towards the per-artist caps."""
        index = self.index
        taken_artists = Counter(int(index.artist[index.row[t]]) for t in taken if t in index.row)
        query = query or self.search_query(spec)
        if query.year_min is None and query.year_max is None:
            # When the era must be relaxed, the nearest years should still come first.
            query = query.model_copy(update={"year_min": spec.year_min, "year_max": spec.year_max})
        scores = self.searcher.scores(query, extra) + self._popularity_nudge(spec)
        if seasonal_wanted(spec):
            # "Christmas" spread to the artists that match it brought their hits ("End Of The Road" for Boyz II
            # Men's Christmas album): the season's own songs come first, as a named artist's do
            scores = scores + self.config.season_preference * self.seasonal
        fixed = self._fixed_mask(spec, [*query.seed_track_ids], avoid)
        default_cap, named_caps = artist_caps(spec)
        limits = _Limits(
            year=None if spec.year_min is None and spec.year_max is None else Range(min=spec.year_min, max=spec.year_max),
            features=dict(spec.features), popularity=spec.popularity_range(), genres=list(spec.genres),
            cap=default_cap, artist_caps={k: n for k, n in named_caps.items() if k not in said_caps(spec)},
            said_caps=dict(spec.artist_caps), track_minutes=spec.track_minutes)
        relaxed: dict[str, Relaxation] = {}
        first_shortage: dict[str, str] = {}  # constraint -> the shortage that first forced relaxing it
        while True:
            mask = fixed & self._limits_mask(limits)
            have, need = self._capacity(mask, limits), self._needed(spec, mask)
            chosen = self._select(spec, scores, mask, limits, taken_artists) if have >= need else None
            # At the track limit, relaxing cannot bring a minutes target closer: stop there.
            if chosen is not None and (self._length_ok(spec, chosen) or len(chosen.rows) >= self.config.max_tracks):
                break
            step = self._relax(spec, limits, fixed, have, need)
            if step is None:
                chosen = chosen or self._select(spec, scores, mask, limits, taken_artists)
                break
            name, new_limits, done = step
            wanted = f"{need} needed" if spec.target_count() else \
                f"about {need} needed for {_num(round(spec.minutes, 1))} min"
            first_shortage.setdefault(name, f"only {have} track{'' if have == 1 else 's'} fit "
                                            f"{limits.describe()}, {wanted}")
            relaxed[name] = Relaxation(constraint=name, reason=f"{first_shortage[name]}; {done}")
            limits = new_limits
        if not self._length_ok(spec, chosen):
            relaxed[LENGTH] = Relaxation(constraint=LENGTH, reason=self._short_reason(spec, chosen, limits))
        if absent := self._absent_seed_artists(spec, chosen):
            reason = self._absent_reason(absent, fixed, mask, limits)
            relaxed[SEED_ARTISTS] = Relaxation(constraint=SEED_ARTISTS, reason=reason)
        tracks = order_tracks([index.tracks[r] for r in chosen.rows], spec.ordering)
        return Playlist(
            title=_title(spec),
            description=_description(tracks, spec),
            tracks=tracks,
            reasons={t.track_id: reason_line(t, spec) for t in tracks},
            spec=spec,
            relaxed=list(relaxed.values()),
        )

    # ------------------------------------------------------------------ masks and counts

    def _popularity_nudge(self, spec: PlaylistSpec) -> np.ndarray:
        weight = {"hits": self.config.popularity_preference, "deep_cuts": -self.config.popularity_preference}
        return weight.get(spec.popularity, self.config.popularity_prior) * self.popularity_z

    def _fixed_mask(self, spec: PlaylistSpec, seeds: list[str], avoid: Iterable[str]) -> np.ndarray:
        """What is never relaxed: exclusions, other copies of excluded, avoided and seed songs, remixes and
        Christmas songs unless asked for."""
        index = self.index
        mask = filter_mask(index, TrackFilter(exclude_labels=spec.exclude_genres, exclude_artists=spec.exclude_artists))
        banned = [index.row[t] for t in (*spec.exclude_tracks, *avoid, *seeds) if t in index.row]
        if banned:
            mask &= ~np.isin(self.song, self.song[banned])
        if not remixes_allowed(spec):
            mask &= ~self.remix
        if not spec.allow_live:
            mask &= ~self.live
        if not seasonal_allowed(spec):
            mask &= ~self.seasonal
        if spec.others_only:  # "bands like Pixies": Pixies lead the search, other artists fill the playlist
            mask &= ~np.isin(index.artist, self._artist_numbers(spec.seed_artists))
        if spec.target_count() is None:
            mask &= self.duration > 0  # a minutes target needs known durations
        return mask

    def _limits_mask(self, limits: _Limits) -> np.ndarray:
        return filter_mask(self.index, TrackFilter(year=limits.year, features=limits.features,
                                                   popularity=limits.popularity, include_labels=limits.genres,
                                                   duration_ms=track_ms(limits.track_minutes)))

    def _caps_array(self, limits: _Limits) -> np.ndarray:
        n = len(self.index.artist_names)
        caps = np.full(n, limits.cap if limits.cap is not None else np.iinfo(np.int64).max, dtype=np.int64)
        for key, cap in limits.artist_caps.items():
            if key in self.index.artist_index and limits.cap is not None:
                caps[self.index.artist_index[key]] = max(cap, limits.cap)
        for name, cap in limits.said_caps.items():
            if (key := artist_key(name)) in self.index.artist_index:
                caps[self.index.artist_index[key]] = cap
        return caps

    def _songs_per_artist(self, mask: np.ndarray) -> np.ndarray:
        """Distinct songs each artist has under `mask`."""
        present = np.bincount(self.song[mask], minlength=len(self.song_artist)) > 0  # O(n), no sort
        return np.bincount(self.song_artist[present], minlength=len(self.index.artist_names))

    def _capacity(self, mask: np.ndarray, limits: _Limits) -> int:
        """How many tracks could be chosen under `mask`: distinct songs, at most the cap per artist."""
        return int(np.minimum(self._songs_per_artist(mask), self._caps_array(limits)).sum())

    def _needed(self, spec: PlaylistSpec, mask: np.ndarray) -> int:
        count = spec.target_count()
        if count is not None:
            return count
        typical = float(np.median(self.duration[mask])) if mask.any() else 210_000.0
        estimate = math.ceil((spec.minutes or 0) * 60_000 / max(typical, 1.0)) - 1
        return max(1, min(estimate, self.config.max_tracks))

    def _length_ok(self, spec: PlaylistSpec, chosen: _Selection) -> bool:
        count = spec.target_count()
        if count is not None:
            return len(chosen.rows) == count
        return bool(chosen.rows) and minutes_fit(chosen.total_ms, spec, max(int(self.duration[r]) for r in chosen.rows))

    # ------------------------------------------------------------------ selection

    def _select(self, spec: PlaylistSpec, scores: np.ndarray, mask: np.ndarray, limits: _Limits,
                taken_artists: Counter[int]) -> _Selection:
        """MMR over the best `pool` allowed tracks; if they run out, the rest of the allowed tracks by score.
        `taken_artists`: tracks per artist already in the playlist, counted against the caps."""
        allowed = np.where(mask, scores, -np.inf)
        count = spec.target_count()
        pool = top_k(allowed, max(self.config.pool, 3 * (count or 0)))
        pool = pool[np.isfinite(allowed[pool])]
        chosen = _Selection(per_artist=dict(taken_artists))
        caps = self._caps_array(limits)
        self._reserve(spec, allowed, chosen, caps)
        self._greedy(spec, pool, allowed[pool], chosen, caps, self.config.mmr_lambda)
        if not self._done(spec, chosen):
            rest = np.flatnonzero(mask)
            rest = rest[~np.isin(rest, pool)]
            rest = rest[np.argsort(-allowed[rest], kind="stable")]
            self._greedy(spec, rest, allowed[rest], chosen, caps, 1.0)
        return chosen

    def _artist_numbers(self, names: Iterable[str]) -> list[int]:
        keys = dict.fromkeys(artist_key(a) for a in names)
        return [self.index.artist_index[k] for k in keys if k in self.index.artist_index]

    def _named_artists(self, spec: PlaylistSpec) -> list[int]:
        """The named artists whose tracks the playlist should hold (none when they are only references)."""
        return [] if spec.others_only else self._artist_numbers(spec.seed_artists)

    def _reserve(self, spec: PlaylistSpec, allowed: np.ndarray, chosen: _Selection, caps: np.ndarray) -> None:
        """Slots for the artists the listener named, filled first with their best allowed tracks: min(3, cap)
        for one artist, one each for several, within `SEED_ARTIST_SHARE` of the playlist. Similarity alone
        may leave a named artist out ("hits building up the energy, like Stevie Wonder")."""
        named = self._named_artists(spec)
        if not named:
            return
        count = spec.target_count()
        slots = count if count is not None else self._needed(spec, np.isfinite(allowed))
        budget = min(slots, max(len(named), math.ceil(slots * SEED_ARTIST_SHARE)))
        each = SEED_ARTIST_CAP if len(named) == 1 else 1
        target_ms = None if count is not None else (spec.minutes or 0) * 60_000
        for artist in named:
            want = min(each, int(caps[artist])) - chosen.per_artist.get(artist, 0)
            rows = np.flatnonzero((self.index.artist == artist) & np.isfinite(allowed))
            for row in rows[np.argsort(-allowed[rows], kind="stable")]:
                if want <= 0 or budget <= 0:
                    break
                song, duration = int(self.song[row]), int(self.duration[row])
                if song in chosen.songs or (target_ms is not None and chosen.total_ms + duration > target_ms):
                    continue
                chosen.rows.append(int(row))
                chosen.total_ms += duration
                chosen.songs.add(song)
                chosen.per_artist[artist] = chosen.per_artist.get(artist, 0) + 1
                want -= 1
                budget -= 1

    def _absent_seed_artists(self, spec: PlaylistSpec, chosen: _Selection) -> list[int]:
        """Named artists with no track in the playlist (nor among the tracks it joins)."""
        return [a for a in self._named_artists(spec) if not chosen.per_artist.get(a)]

    def _absent_reason(self, absent: list[int], fixed: np.ndarray, mask: np.ndarray, limits: _Limits) -> str:
        """Why named artists have no track: what is never relaxed left none (their only songs are the ones named,
        remixes or Christmas songs: "fits at most 2 per artist" said before), the constraints left none, or
        theirs did not fit the length."""
        rows = {a: self.index.artist == a for a in absent}
        kept_out = [a for a in absent if not (fixed & rows[a]).any()]
        remixes = [a for a in kept_out if not (rows[a] & ~self.remix).any()]
        seasonal = [a for a in kept_out if a not in remixes and not (rows[a] & ~self.seasonal).any()]
        others = [a for a in kept_out if a not in remixes and a not in seasonal]
        limited = [a for a in absent if a not in kept_out and not (mask & rows[a]).any()]
        unplaced = [a for a in absent if a not in kept_out and a not in limited]  # allowed, but too long
        groups = ((remixes, "the catalog has only remixes by {} (ask for remixes to have them)"),
                  (seasonal, "the catalog has only Christmas songs by {}"),
                  (others, "no track by {} is left beside the songs named and the exclusions"),
                  (limited, f"no track by {{}} fits {limits.describe()}"),
                  (unplaced, "no track by {} fit the asked length"))
        parts = [text.format(", ".join(self.index.artist_names[a] for a in group)) for group, text in groups if group]
        return "; ".join(parts) + "; the playlist follows their sound instead"

    def _done(self, spec: PlaylistSpec, chosen: _Selection) -> bool:
        count = spec.target_count()
        if count is not None:
            return len(chosen.rows) >= count
        reached = self._length_ok(spec, chosen) and (
            chosen.total_ms >= (spec.minutes or 0) * 60_000 or spec.length_bound == "at_most")
        return reached or len(chosen.rows) >= self.config.max_tracks

    def _greedy(self, spec: PlaylistSpec, rows: np.ndarray, score: np.ndarray, chosen: _Selection,
                caps: np.ndarray, lam: float) -> None:
        """Add rows to `chosen` by MMR (lam < 1) or by score (lam = 1), keeping caps, songs and length."""
        if not len(rows):
            return
        span = float(score.max() - score.min())
        relevance = (score - score.min()) / span if span > 1e-9 else np.ones(len(rows))
        artists = self.index.artist[rows]
        songs = self.song[rows]
        durations = self.duration[rows]
        available = ~np.isin(songs, list(chosen.songs))
        available &= _room_under_cap(artists, chosen.per_artist, caps)
        vectors = self.index.vectors[rows] if lam < 1.0 else None
        max_sim = np.zeros(len(rows), dtype=np.float32)
        if vectors is not None and chosen.rows:
            max_sim = (vectors @ self.index.vectors[chosen.rows].T).max(axis=1)
        count = spec.target_count()
        target_ms = None if count is not None else (spec.minutes or 0) * 60_000
        limit = count if count is not None else self.config.max_tracks
        while len(chosen.rows) < limit and available.any():
            closing = False
            candidates = available
            if target_ms is not None:
                gap = target_ms - chosen.total_ms
                candidates = available & (durations <= gap)
                closing = not candidates.any()
            if closing:
                # Nothing fits the remaining gap: end on the shortest track if that lands closer to the
                # target, or if stopping would leave the total further off than the longest chosen track;
                # never past an upper bound, always past a lower one
                i = int(np.argmin(np.where(available, durations, np.iinfo(np.int64).max)))
                longest = max((int(self.duration[r]) for r in chosen.rows), default=0)
                closer = durations[i] - gap < gap or gap > longest
                if spec.length_bound == "at_most" or gap <= 0 or not (closer or spec.length_bound == "at_least"):
                    return
            else:
                i = int(np.argmax(np.where(candidates, lam * relevance - (1 - lam) * max_sim, -np.inf)))
            row, artist = int(rows[i]), int(artists[i])
            chosen.rows.append(row)
            chosen.total_ms += int(durations[i])
            chosen.songs.add(int(songs[i]))
            chosen.per_artist[artist] = chosen.per_artist.get(artist, 0) + 1
            if closing:
                return
            available &= songs != songs[i]
            if chosen.per_artist[artist] >= caps[artist]:
                available &= artists != artist
            if vectors is not None:
                max_sim = np.maximum(max_sim, vectors @ vectors[i])

    # ------------------------------------------------------------------ relaxation

    def _relax(self, spec: PlaylistSpec, limits: _Limits, fixed: np.ndarray, have: int,
               need: int) -> tuple[str, _Limits, str] | None:
        """The first relaxation, in the documented order, that frees tracks: (constraint, new limits, what was
        done). A relaxation that would not add a single eligible track is skipped, so an impossible genre does
        not cost the listener their energy range. Features count as one step of the order: when only widening
        several of them together frees tracks, they are widened (one step at a time, over repeated calls)
        before the years or genres are touched. When the pool is short and nothing frees any track, the first
        relaxation in the order is taken. None when nothing is left to relax or relaxing cannot help (the
        length is out of reach for another reason)."""
        first = None
        first_feature = None
        for name, trial, done in self._proposals(spec, limits, fixed, need):
            first = first or (name, trial, done)
            if name in limits.features:
                first_feature = first_feature or (name, trial, done)
            elif first_feature is not None:
                no_features = replace(limits, features={})
                if self._capacity(fixed & self._limits_mask(no_features), no_features) > have:
                    return first_feature
                first_feature = None  # checked once, where the features' turn ends
            if self._capacity(fixed & self._limits_mask(trial), trial) > have:
                return name, trial, done
        return first if have < need else None

    def _proposals(self, spec: PlaylistSpec, limits: _Limits, fixed: np.ndarray,
                   need: int) -> Iterator[tuple[str, _Limits, str]]:
        parent_of = Vocabulary.for_index(self.index).label_parents
        parents = {g: parent_of[g] for g in limits.genres if g in parent_of and parent_of[g] not in limits.genres}
        if parents:
            widened = ", ".join(f"{g} to all of {p}" for g, p in parents.items())
            yield GENRES, replace(limits, genres=list(dict.fromkeys([*limits.genres, *parents.values()]))), \
                f"widened {widened}"
        if limits.popularity is not None:
            lean = "more popular" if spec.popularity == "hits" else "less popular"
            yield (POPULARITY, replace(limits, popularity=None),
                   f"dropped the {spec.popularity.replace('_', ' ')} limit ({lean} tracks still rank first)")
        for steps in range(1, FEATURE_STEPS + 2):  # the smallest widening of any feature first
            for name, r in limits.features.items():
                wider = _widen(name, r, steps) if steps <= FEATURE_STEPS else None
                features = {**limits.features}
                if wider is None:
                    del features[name]
                else:
                    features[name] = wider
                done = f"dropped the {name} limit" if wider is None else f"widened to {describe_range(name, wider)}"
                yield name, replace(limits, features=features), done
        if limits.track_minutes is not None:
            wider = _widen(TRACK_MINUTES, limits.track_minutes, 1)
            yield (TRACK_MINUTES, replace(limits, track_minutes=wider),
                   "dropped the track length limit" if wider is None else
                   f"widened to {describe_range(TRACK_MINUTES, wider)}")
        if limits.cap is not None:
            cap = self._smallest_cap(limits, fixed, need)
            yield (MAX_PER_ARTIST, replace(limits, cap=cap),
                   "no per-artist limit" if cap is None else f"allowed up to {cap} tracks per artist")
        if limits.year is not None:
            r = limits.year
            for years in YEAR_WIDENINGS:
                wider = Range(min=None if r.min is None else r.min - years, max=None if r.max is None else r.max + years)
                yield YEAR, replace(limits, year=wider), f"widened the years to {describe_range('year', wider)}"
            yield YEAR, replace(limits, year=None), "dropped the year range"
        if limits.genres:
            yield GENRES, replace(limits, genres=[]), "dropped the genre limit (closest matches by description instead)"

    def _smallest_cap(self, limits: _Limits, fixed: np.ndarray, need: int) -> int | None:
        """The smallest per-artist cap above the current one that lets `need` tracks fit, or None (no cap)."""
        per_artist = self._songs_per_artist(fixed & self._limits_mask(limits))
        for cap in range((limits.cap or 0) + 1, need + 1):
            if int(np.minimum(per_artist, self._caps_array(replace(limits, cap=cap))).sum()) >= need:
                return cap
        return None

    def _short_reason(self, spec: PlaylistSpec, chosen: _Selection, limits: _Limits) -> str:
        count = spec.target_count()
        got = f"{len(chosen.rows)} tracks ({format_duration(chosen.total_ms)})"
        if count is not None:
            return f"only {len(chosen.rows)} tracks fit even after relaxing ({limits.describe()}); {count} asked for"
        if len(chosen.rows) >= self.config.max_tracks:
            return f"{describe_length(spec)} need more than {self.config.max_tracks} tracks; stopped at {got}"
        return f"only {got} fit even after relaxing ({limits.describe()}); {describe_length(spec)} asked for"


def minutes_fit(total_ms: float, spec: PlaylistSpec, longest_ms: float) -> bool:
    """Whether a playlist of `total_ms` keeps the spec's minutes: within the longest track's length of them (a
    playlist is whole tracks), and on the asked side of a bound ("under an hour", "at least 2 hours")."""
    target = (spec.minutes or 0) * 60_000
    if spec.length_bound == "at_most" and total_ms > target or spec.length_bound == "at_least" and total_ms < target:
        return False
    return abs(total_ms - target) <= longest_ms


def describe_length(spec: PlaylistSpec) -> str:
    """"60 minutes", "at most 60 minutes", "at least 120 minutes"."""
    minutes = f"{_num(round(spec.minutes or 0, 1))} minutes"  # a time left is unround: "536.377 minutes"
    return minutes if spec.length_bound == "about" else f"{spec.length_bound.replace('_', ' ')} {minutes}"


def _room_under_cap(artists: np.ndarray, per_artist: dict[int, int], caps: np.ndarray) -> np.ndarray:
    """Rows whose artist still has room under its cap."""
    if not per_artist:
        return np.ones(len(artists), dtype=bool)
    full = [a for a, n in per_artist.items() if n >= caps[a]]
    return ~np.isin(artists, full)


def _widen(name: str, r: Range, steps: int) -> Range | None:
    """`r` widened by `steps` steps on each bounded side (None once it no longer constrains a 0..1 feature)."""
    step = FEATURE_STEP.get(name, DEFAULT_FEATURE_STEP) * steps
    low = None if r.min is None or r.min - step <= 0 else round(r.min - step, 4)
    high = None if r.max is None else round(r.max + step, 4)
    ceiling = {"tempo": TEMPO_CEILING, TRACK_MINUTES: TRACK_MINUTES_CEILING}.get(name, 1.0)
    if high is not None and high >= ceiling:
        high = None
    if low is None and high is None:
        return None
    return Range(min=low, max=high)


# ------------------------------------------------------------------------------------- checking


def violations(playlist: Playlist, spec: PlaylistSpec, index: TrackIndex,
               max_tracks: int = MAX_TRACKS) -> list[str]:
    """Every hard constraint of `spec` the playlist breaks, except those it reports in `relaxed`.
    Exclusions, duplicates, the remix rule and grounding (each track is that catalog track) are always checked."""
    out: list[str] = []
    relaxed = {r.constraint for r in playlist.relaxed}
    tracks = playlist.tracks
    for t in tracks:
        row = index.row.get(t.track_id)
        if row is None or index.tracks[row] != t:
            out.append(f"{t.track_id} ({t.title}) is not that track of the catalog")
    ids = [t.track_id for t in tracks]
    if len(set(ids)) != len(ids):
        out.append("a track id appears twice")
    keys = [song_key(t) for t in tracks]
    for key in {k for k in keys if keys.count(k) > 1}:
        out.append(f"the same song appears twice: {key}")

    if LENGTH not in relaxed:
        count = spec.target_count()
        if count is not None and len(tracks) != count:
            out.append(f"{len(tracks)} tracks, {count} asked for")
        if count is None:
            longest = max((t.duration_ms or 0 for t in tracks), default=0)
            if not tracks or not minutes_fit(playlist.total_ms, spec, longest):
                out.append(f"{playlist.total_ms / 60000:.1f} minutes, {describe_length(spec)} asked for")
    if len(tracks) > max_tracks:
        out.append(f"{len(tracks)} tracks, more than the limit of {max_tracks}")

    out += [f"{t.track_id} {what}" for t in tracks for name, what in track_breaks(t, spec) if name not in relaxed]

    excluded_genres = set(spec.exclude_genres)
    out += [f"{t.track_id} has excluded genre" for t in tracks if excluded_genres & set(_labels(t))]
    excluded_artists = {artist_key(a) for a in spec.exclude_artists}
    out += [f"{t.track_id} by excluded {t.artist}" for t in tracks if artist_key(t.artist) in excluded_artists]
    out += [f"{t.track_id} features an excluded artist" for t in tracks if featured_keys(t.title) & excluded_artists]
    excluded_songs = {song_key(index.tracks[index.row[i]]) for i in spec.exclude_tracks if i in index.row}
    out += [f"{t.track_id} is an excluded song" for t, k in zip(tracks, keys)
            if t.track_id in spec.exclude_tracks or k in excluded_songs]
    if not remixes_allowed(spec):
        out += [f"{t.track_id} is a remix ({t.title})" for t in tracks if is_remix(t.title)]
    if not spec.allow_live:
        out += [f"{t.track_id} is a live recording ({t.title})" for t in tracks if is_live(t.title)]

    cap, named = artist_caps(spec)
    said = said_caps(spec)
    counts = Counter(artist_key(t.artist) for t in tracks)
    out += [f"{n} tracks by {a}, cap {named.get(a, cap)}" for a, n in counts.items()
            if n > named.get(a, cap) and (a in said or MAX_PER_ARTIST not in relaxed)]
    return out


def track_breaks(track: Track, spec: PlaylistSpec) -> list[tuple[str, str]]:
    """The relaxable constraints of `spec` one track breaks: (name as in `Relaxation.constraint`, what is wrong)."""
    out: list[tuple[str, str]] = []
    if spec.year_min is not None or spec.year_max is not None:
        r = Range(min=spec.year_min, max=spec.year_max)
        if not r.contains(track.year):
            out.append((YEAR, f"year {track.year} outside {describe_range('year', r)}"))
    for name, r in spec.features.items():
        value = getattr(track, name)
        if not r.contains(value):
            shown = "unknown" if value is None else _num(round(value, 1 if name == "tempo" else 2))
            out.append((name, f"{name} {shown} outside {describe_range(name, r)}"))
    minutes = None if track.duration_ms is None else track.duration_ms / 60_000
    if spec.track_minutes is not None and not spec.track_minutes.contains(minutes):
        out.append((TRACK_MINUTES, f"length {format_duration(track.duration_ms)} outside "
                                   f"{describe_range(TRACK_MINUTES, spec.track_minutes)}"))
    pop = spec.popularity_range()
    if pop is not None and not pop.contains(track.popularity):
        out.append((POPULARITY, f"popularity {track.popularity}, not {spec.popularity.replace('_', ' ')}"))
    if spec.genres and not set(spec.genres) & set(_labels(track)):
        out.append((GENRES, f"not in {' or '.join(spec.genres)}"))
    return out


def _labels(track: Track) -> list[str]:
    return [label.lower() for label in (*track.genres, *track.subgenres)]
