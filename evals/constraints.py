"""`segue eval constraints`: generated plain-language requests whose every constraint is machine-checked.

A seeded generator draws a random `PlaylistSpec` (the truth) from the catalog's own genres, artists and
tracks, and writes it as a request a listener would type ("25 rock songs from the 90s, high energy, no
Coldplay, at most 2 per artist"). The request goes through `MusicAssistant.generate_playlist` (parser +
builder); the playlist is then checked against the truth, one constraint type at a time, with the builder's
own checker `violations()` on a spec that holds only that type. A constraint the assistant reports as
relaxed counts as relaxed, not violated. `description` is the soft intent and is not checked.

Vague words take Segue's documented meaning ("high energy" is the lexicon's range for that phrase, "hip hop"
is the catalog label the vocabulary maps it to), so the suite checks that what the words mean is delivered,
whether or not the parser understood the sentence.

Seeds follow the builder's documented semantics. A seed track is never in its own playlist ("like X" asks for
new songs), so `seed_tracks` checks that the named song was resolved into the spec (the same song under
another id counts). A named seed artist must appear in the playlist (the builder reserves slots for it),
unless none of their tracks meets the hard constraints, which the builder reports as relaxed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.builder import SEED_ARTISTS, minutes_fit, song_key, violations
from assistant.lexicon import find_features
from assistant.playlist import Playlist
from assistant.spec import FEATURE_NAMES, PlaylistSpec
from assistant.vocabulary import Vocabulary, name_key
from evals.report import SuiteResult
from retrieval.errors import SegueError
from retrieval.index import TrackIndex, artist_key
from retrieval.ingest import _progress

# The phrases a request uses for each feature; the truth range is what the lexicon reads in that phrase.
FEATURE_PHRASES: dict[str, tuple[str, ...]] = {
    "energy": ("high energy", "low energy"),
    "valence": ("high valence", "low valence"),
    "danceability": ("high danceability", "low danceability"),
    "acousticness": ("high acousticness", "low acousticness"),
    "tempo": ("between 90 and 110 bpm", "over 140 bpm", "under 100 bpm", "around 120 bpm"),
}
# Other ways to say the same kinds of things, drawn by a separate generator (see `generate_requests`).
NUMERIC_FEATURE_PHRASES: dict[str, tuple[str, ...]] = {
    "energy": ("energy above 0.8", "energy below 40%"),
    "valence": ("valence over 0.6", "valence under 30%"),
    "danceability": ("danceability at least 70%", "danceability below 0.5"),
    "acousticness": ("acousticness below 0.1", "acousticness above 50%"),
    "tempo": ("tempo over 120", "tempo under 100"),
}
NOUNS = ("songs", "tracks", "tunes")
COUNT_LAST = ("make it {n} {noun}", "make it {n}", "{n} in total")  # the count said apart from the noun
# A length in minutes, said plainly or as a bound: (phrase, bound); plain, at most and at least a third each
MINUTES_PHRASES = (("{m} minutes of {what}", "about"), ("{m} minutes of {what}", "about"),
                   ("under {m} minutes of {what}", "at_most"), ("{m} minutes or less of {what}", "at_most"),
                   ("at least {m} minutes of {what}", "at_least"), ("{m} minutes or more of {what}", "at_least"))
COUNT_LAST_SHARE = 0.25
NUMERIC_SHARE = 0.4
ARTIST_CAP_SHARE = 0.4  # of the requests with a seed artist
ARTIST_CAP_PHRASES = ("at most {k} songs by {artist}", "no more than {k} {artist} tracks", "max {k} by {artist}")
ORDER_PHRASES = {"rising": "building up the energy", "falling": "winding down at the end",
                 "arc": "shaped like a DJ set", "smooth": "with smooth transitions"}
POPULARITY_PHRASES = {"hits": "only big hits", "deep_cuts": "deep cuts only"}
# Each track's length: (phrase, at most?) with the minutes to fill in.
TRACK_LENGTH_PHRASES = (("songs under {v} minutes", True), ("no song longer than {v} minutes", True),
                        ("tracks at most {v} minutes long", True), ("tracks over {v} minutes each", False),
                        ("songs at least {v} minutes long", False))
# Every constraint type the suite checks (PlaylistSpec fields, `features` split by feature name).
TYPES = ("n_tracks", "minutes", "genres", "exclude_genres", "year", *(f"feature:{f}" for f in FEATURE_PHRASES),
         "track_minutes", "max_per_artist", "popularity", "ordering", "no_remixes", "exclude_artists", "exclude_tracks",
         "seed_artists", "seed_tracks", "artist_caps")
MIN_ARTIST_TRACKS = 5
MIN_GENRE_LEFT = 50  # tracks of the asked genre an exclusion must leave for the request to make sense
CONSTRAINTS_PER_REQUEST = (1, 4)


@dataclass
class GeneratedRequest:
    text: str
    truth: PlaylistSpec
    types: list[str]


@dataclass
class _Pools:
    vocab: Vocabulary
    genres: list[str]
    subgenres: list[str]
    artists: list[str]  # named unambiguously: enough tracks, not made of common words, no quote mark or comma
    artist_rows: dict[str, list[int]]  # the artist's tracks whose title can be quoted
    years: tuple[int, int]


def _pools(index: TrackIndex) -> _Pools:
    vocab = Vocabulary.for_index(index)
    genres = sorted({g for t in index.tracks for g in t.genres})
    subgenres = sorted({s for t in index.tracks for s in t.subgenres} - set(genres))
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(index.tracks):
        # a title with a double quote inside, or with no word at all ("@"), cannot be written in quotes
        if '"' not in t.title and name_key(t.title):
            rows.setdefault(t.artist, []).append(i)
    # '"' and ',' in a name make a request ambiguous: 'no Tito "El Bambino"', 'like Sarah, the Illstrumentalist'
    artists = sorted(a for a, r in rows.items() if len(r) >= MIN_ARTIST_TRACKS and name_key(a)
                     and not vocab.is_common(name_key(a)) and a.isascii() and not {'"', ","} & set(a))
    years = [t.year for t in index.tracks if t.year]
    return _Pools(vocab, genres, subgenres, artists, rows, (min(years, default=1960), max(years, default=2020)))


def generate_requests(index: TrackIndex, n: int, seed: int = 0) -> list[GeneratedRequest]:
    """`n` random requests over the catalog of `index`, the same for the same seed and catalog."""
    rng = random.Random(seed)
    # Phrasing variants come from their own generator, so the drawn specs are the same as with one phrasing.
    style = random.Random(f"phrasing-{seed}")
    caps = random.Random(f"artist-cap-{seed}")  # its own too: caps said on seed artists leave the rest as it was
    pools = _pools(index)
    return [_one(rng, style, caps, pools, index) for _ in range(n)]


def _one(rng: random.Random, style: random.Random, caps: random.Random, pools: _Pools,
         index: TrackIndex) -> GeneratedRequest:
    truth: dict[str, Any] = {}
    types: list[str] = []
    head: list[str] = []  # "25 rock songs"
    tail: list[str] = []  # ", from the 90s, no remixes, ..."
    count_last = ""  # "make it 8 tracks", at the very end
    optional = ["genres", "exclude_genres", "year", "features", "track_minutes", "max_per_artist", "popularity",
                "ordering", "no_remixes", "exclude_artists", "exclude_tracks", "seed_artists", "seed_tracks"]
    chosen = rng.sample(optional, rng.randint(*CONSTRAINTS_PER_REQUEST))
    genre_word = ""
    if "genres" in chosen and pools.genres:
        genre_word = rng.choice(pools.genres + pools.subgenres)
        # what the phrase means in Segue: "hip hop" is the catalog's "rap" (a curated synonym), not the subgenre
        truth["genres"] = pools.vocab.resolve_genre(genre_word) or [genre_word]
        types.append("genres")
    if rng.random() < 0.7:
        n = rng.choice((5, 8, 10, 12, 15, 20, 25, 30))
        truth["n_tracks"] = n
        types.append("n_tracks")
        noun = style.choice(NOUNS)
        if style.random() < COUNT_LAST_SHARE:
            head.append(f"{genre_word or 'some'} {noun}")
            count_last = style.choice(COUNT_LAST).format(n=n, noun=noun)
        else:
            head.append(f"{n} {genre_word} {noun}".replace("  ", " "))
    else:
        minutes = rng.choice((30, 45, 60, 90))
        phrase, truth["length_bound"] = style.choice(MINUTES_PHRASES)
        truth["minutes"] = minutes
        types.append("minutes")
        head.append(phrase.format(m=minutes, what=genre_word or "music"))
    if "exclude_genres" in chosen:
        # never the genre of the asked subgenre: "gangster rap, no rap" asks for nothing
        options = [g for g in pools.genres if g not in truth.get("genres", [])
                   and not _contradicts(index, truth.get("genres", []), g)]
        if options:
            g = rng.choice(options)
            truth["exclude_genres"] = [g]
            types.append("exclude_genres")
            tail.append(f"no {g}")
    if "year" in chosen:
        lo, hi = pools.years
        kind = rng.choice(("decade", "range", "after", "before"))
        if kind == "decade":
            decade = rng.choice([d for d in (1970, 1980, 1990, 2000, 2010) if lo <= d <= hi] or [hi // 10 * 10])
            truth.update(year_min=decade, year_max=decade + 9)
            tail.append(f"from the {decade}s" if decade >= 2000 else f"from the {str(decade)[2:]}s")
        elif kind == "range":
            a = rng.randint(max(lo, 1970), max(min(hi, 2015), max(lo, 1970)))
            b = min(a + rng.choice((3, 5, 10)), hi)
            truth.update(year_min=a, year_max=b)
            tail.append(f"released between {a} and {b}")
        elif kind == "after":
            a = rng.randint(max(lo, 1990), max(hi - 2, max(lo, 1990)))
            truth.update(year_min=a)
            tail.append(f"released after {a - 1}")
        else:
            b = rng.randint(max(lo, 1975), max(min(hi, 2010), max(lo, 1975)))
            truth.update(year_max=b)
            tail.append(f"released before {b + 1}")
        types.append("year")
    if "features" in chosen:
        feature = rng.choice(list(FEATURE_PHRASES))
        phrase = rng.choice(FEATURE_PHRASES[feature])
        if style.random() < NUMERIC_SHARE:
            phrase = style.choice(NUMERIC_FEATURE_PHRASES[feature])
        found = [f.value for f in find_features(phrase) if f.field == "features"]
        if found:
            name, r = found[0]
            truth["features"] = {name: r}
            types.append(f"feature:{name}")
            tail.append(phrase)
    if "track_minutes" in chosen:
        phrase, at_most = rng.choice(TRACK_LENGTH_PHRASES)
        v = rng.choice((3, 3.5, 4, 5)) if at_most else rng.choice((4, 5, 6))
        truth["track_minutes"] = {"max": v} if at_most else {"min": v}
        types.append("track_minutes")
        tail.append(phrase.format(v=f"{v:g}"))
    if "max_per_artist" in chosen:
        k = rng.choice((1, 2, 3))
        truth["max_per_artist"] = k
        types.append("max_per_artist")
        tail.append("all different artists" if k == 1 else f"at most {k} songs per artist")
    if "popularity" in chosen:
        kind = rng.choice(("hits", "deep_cuts"))
        truth["popularity"] = kind
        types.append("popularity")
        tail.append(POPULARITY_PHRASES[kind])
    if "ordering" in chosen:
        kind = rng.choice(list(ORDER_PHRASES))
        truth["ordering"] = kind
        types.append("ordering")
        tail.append(ORDER_PHRASES[kind])
    if "no_remixes" in chosen:
        truth["allow_remixes"] = False
        types.append("no_remixes")
        tail.append("no remixes")
    seed_artist = None
    if "seed_artists" in chosen and pools.artists:
        seed_artist = rng.choice(pools.artists)
        truth["seed_artists"] = [seed_artist]
        types.append("seed_artists")
        tail.append(f"similar to {seed_artist}")
        if caps.random() < ARTIST_CAP_SHARE:  # "similar to Queen, no more than 2 Queen songs"
            k = caps.choice((1, 2, 3))
            truth["artist_caps"] = {seed_artist: k}
            types.append("artist_caps")
            tail.append(caps.choice(ARTIST_CAP_PHRASES).format(k=k, artist=seed_artist))
    if "seed_tracks" in chosen and pools.artists:
        artist = rng.choice(pools.artists)
        track = index.tracks[rng.choice(pools.artist_rows[artist])]
        truth["seed_tracks"] = [track.track_id]
        types.append("seed_tracks")
        tail.append(f'like "{track.title}" by {artist}')
    if "exclude_artists" in chosen and pools.artists:
        artist = rng.choice([a for a in pools.artists if a != seed_artist])
        truth["exclude_artists"] = [artist]
        types.append("exclude_artists")
        tail.append(f"but no {artist}")
    if "exclude_tracks" in chosen and pools.artists:
        # A song of the seed artist, when there is one: the builder would otherwise be likely to pick it.
        artist = seed_artist or rng.choice(pools.artists)
        # never the seed song itself: 'like "Lines" by Big Boi, but not "Lines" by Big Boi' asks for nothing
        seeds = {song_key(index.tracks[index.row[t]]) for t in truth.get("seed_tracks", [])}
        rows = [r for r in pools.artist_rows[artist] if song_key(index.tracks[r]) not in seeds]
        if rows:
            track = index.tracks[rng.choice(rows)]
            truth["exclude_tracks"] = [track.track_id]
            types.append("exclude_tracks")
            tail.append(f'but not "{track.title}" by {artist}')
    text = "Make me " + ", ".join([*head, *tail, *([count_last] if count_last else [])])
    return GeneratedRequest(text=text, truth=PlaylistSpec.model_validate(truth), types=types)


def _contradicts(index: TrackIndex, genres: list[str], excluded: str) -> bool:
    """Whether excluding `excluded` leaves (almost) no track of `genres`: a subgenre inside that genre."""
    if not genres:
        return False
    labels = {label.lower(): mask for label, mask in index.labels.items()}
    none = np.zeros(len(index.tracks), dtype=bool)
    wanted = np.logical_or.reduce([labels.get(g, none) for g in genres])
    return int((wanted & ~labels.get(excluded, none)).sum()) < MIN_GENRE_LEFT


# --------------------------------------------------------------------------- checking

RELAXATION_NAME = {"n_tracks": "length", "minutes": "length", "genres": "genres", "year": "year",
                   "track_minutes": "track_minutes",
                   "max_per_artist": "max_per_artist", "popularity": "popularity", "seed_artists": SEED_ARTISTS,
                   **{f"feature:{f}": f for f in FEATURE_NAMES}}


def _only(truth: PlaylistSpec, kind: str, n: int) -> PlaylistSpec:
    """A spec holding only the constraint `kind` of the truth (length pinned to the playlist's own)."""
    base: dict[str, Any] = {"n_tracks": max(n, 1), "allow_remixes": True}
    if kind == "n_tracks":
        base["n_tracks"] = truth.n_tracks
    elif kind == "minutes":
        base.update(n_tracks=None, minutes=truth.minutes, length_bound=truth.length_bound)
    elif kind == "year":
        base.update(year_min=truth.year_min, year_max=truth.year_max)
    elif kind.startswith("feature:"):
        name = kind.split(":", 1)[1]
        base["features"] = {name: truth.features[name]}  # type: ignore[index]
    elif kind == "no_remixes":
        base["allow_remixes"] = False
    elif kind == "max_per_artist":  # "all different artists, at most 2 by Queen": the cap said for one artist wins
        base.update(max_per_artist=truth.max_per_artist, artist_caps=truth.artist_caps)
    else:
        base[kind] = getattr(truth, kind)
    return PlaylistSpec.model_validate(base)


def _ordered(playlist: Playlist, ordering: str) -> bool:
    """Whether the delivered order is the asked one: energies monotone for rising/falling, the peak inside
    for an arc; `smooth` (a cost minimum, not checkable alone) counts when the assistant used it."""
    energies = [t.energy for t in playlist.tracks if t.energy is not None]
    if len(energies) < 3:
        return True
    if ordering == "rising":
        return all(a <= b for a, b in zip(energies, energies[1:]))
    if ordering == "falling":
        return all(a >= b for a, b in zip(energies, energies[1:]))
    if ordering == "arc":
        return 0 < energies.index(max(energies)) < len(energies) - 1
    return playlist.spec.ordering == ordering


def check(playlist: Playlist, request: GeneratedRequest, index: TrackIndex) -> dict[str, str]:
    """Each constraint type of the request -> 'satisfied', 'relaxed' (reported) or 'violated'."""
    relaxed = {r.constraint for r in playlist.relaxed}
    n = len(playlist.tracks)
    out: dict[str, str] = {}
    for kind in request.types:
        if RELAXATION_NAME.get(kind) in relaxed:
            out[kind] = "relaxed"
            continue
        if kind == "ordering":
            ok = _ordered(playlist, request.truth.ordering)
        elif kind == "seed_artists":  # every named artist is in the playlist
            ok = {artist_key(a) for a in request.truth.seed_artists} <= {artist_key(t.artist) for t in playlist.tracks}
        elif kind == "seed_tracks":  # resolved into the spec (the builder never plays the seed itself)
            ok = _songs(request.truth.seed_tracks, index) <= _songs(playlist.spec.seed_tracks, index)
        else:
            alone = PlaylistSpec(n_tracks=max(n, 1), allow_remixes=True)
            noise = set(violations(playlist, alone, index))
            ok = not [v for v in violations(playlist, _only(request.truth, kind, n), index) if v not in noise]
        out[kind] = "satisfied" if ok else "violated"
    return out


def _songs(track_ids: list[str], index: TrackIndex) -> set[str]:
    return {song_key(index.tracks[index.row[t]]) if t in index.row else t for t in track_ids}


@dataclass
class _Tally:
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    relaxations: Counter[str] = field(default_factory=Counter)
    invented: int = 0
    duplicates: int = 0
    exceptions: int = 0
    exception_examples: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    length_errors: list[float] = field(default_factory=list)  # |delivered - asked| / asked
    length_ok: list[bool] = field(default_factory=list)  # exact count; minutes within one track's length
    examples: dict[str, list[str]] = field(default_factory=dict)  # violated type -> requests that broke it
    latencies: list[float] = field(default_factory=list)


def run_constraints(assistant: Any, n: int = 300, seed: int = 0, progress: bool = True) -> SuiteResult:
    """Generate `n` requests, build each with `assistant.generate_playlist`, check every constraint."""
    index: TrackIndex = assistant.index
    requests = generate_requests(index, n, seed)
    tally = _Tally()
    with _progress(progress) as bar:
        task = bar.add_task("constraints", total=len(requests)) if bar else None
        for request in requests:
            _run_one(assistant, request, index, tally)
            if bar:
                bar.advance(task)
    return SuiteResult(_payload(tally, n, seed), {"segue": tally.latencies})


def _run_one(assistant: Any, request: GeneratedRequest, index: TrackIndex, tally: _Tally) -> None:
    start = time.perf_counter()
    try:
        playlist = assistant.generate_playlist(request.text)
    except SegueError:
        tally.refused += 1
        return
    except Exception as exc:  # a crash is the finding; the suite goes on
        tally.exceptions += 1
        tally.exception_examples[f"{type(exc).__name__}: {exc}"[:200]] += 1
        return
    finally:
        tally.latencies.append((time.perf_counter() - start) * 1000)
    for kind, outcome in check(playlist, request, index).items():
        tally.outcomes.setdefault(kind, Counter())[outcome] += 1
        if outcome == "violated" and len(tally.examples.setdefault(kind, [])) < 2:
            tally.examples[kind].append(request.text)
    tally.relaxations.update(r.constraint for r in playlist.relaxed)
    tally.invented += sum(1 for t in playlist.tracks
                          if t.track_id not in index.row or index.tracks[index.row[t.track_id]] != t)
    keys = [song_key(t) for t in playlist.tracks]
    tally.duplicates += int(len(set(keys)) != len(keys))
    truth = request.truth
    if truth.n_tracks is not None:
        tally.length_errors.append(abs(len(playlist.tracks) - truth.n_tracks) / truth.n_tracks)
        tally.length_ok.append(len(playlist.tracks) == truth.n_tracks)
    elif truth.minutes:
        longest = max((t.duration_ms or 0 for t in playlist.tracks), default=0)
        tally.length_errors.append(abs(playlist.total_ms / 60000 - truth.minutes) / truth.minutes)
        tally.length_ok.append(bool(playlist.tracks) and minutes_fit(playlist.total_ms, truth, longest))


def _payload(tally: _Tally, n: int, seed: int) -> dict[str, Any]:
    by_type = {}
    satisfaction = {}
    for kind in TYPES:
        counts = tally.outcomes.get(kind)
        if not counts:
            continue
        total = sum(counts.values())
        kind = kind.replace("feature:", "")
        satisfaction[kind] = round(counts["satisfied"] / total, 3)
        by_type[kind] = {"n": total, "satisfied": counts["satisfied"], "relaxed": counts["relaxed"],
                         "violated": counts["violated"]}
    checked = sum(sum(c.values()) for c in tally.outcomes.values())
    ok = sum(c["satisfied"] for c in tally.outcomes.values())
    errors = tally.length_errors
    return {
        "suite": "constraints",
        "n": n,
        "seed": seed,
        "satisfaction": satisfaction,
        "overall_satisfaction": round(ok / checked, 3) if checked else 0.0,
        "by_type": by_type,
        "invented_tracks": tally.invented,
        "duplicates": tally.duplicates,
        "exceptions": tally.exceptions,
        "exception_examples": dict(tally.exception_examples.most_common(3)),
        "refused": tally.refused,
        "length_accuracy": {
            "exact_or_within_one_track": round(sum(tally.length_ok) / len(tally.length_ok), 3) if errors else 0.0,
            "within_10pct": round(sum(e <= 0.1 for e in errors) / len(errors), 3) if errors else 0.0,
            "mean_relative_error": round(sum(errors) / len(errors), 3) if errors else 0.0,
        },
        "relaxations": dict(tally.relaxations.most_common()),
        "violated_examples": tally.examples,
        "not_checked": "description (the soft intent)",
    }
