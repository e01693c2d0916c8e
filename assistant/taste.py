"""`TasteProfile`: a listener's taste as numbers over the catalog, so ranking can lean towards it.

Built from a stored `Profile` (likes, dislikes, play counts) and the index. Each history track weighs
`LIKE_WEIGHT` if liked plus its play count on a log scale; `taste_scores` blends, for every catalog track:
- the cosine similarity to the weighted centroid of the history tracks' embeddings,
- the closeness of its audio features to the history's mean features,
- the listener's affinity for its artist (liked artists, artists of liked and played tracks),
- minus the similarity to the centroid of disliked tracks,
- optionally a nudge towards the listener's popularity habit (hits or deep cuts),
and standardises the result, so it adds to the retrieval signals (also standardised) on the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal

import numpy as np

from assistant.playlist import Playlist
from assistant.profiles import Profile, ProfileError, ProfileStore, check_user
from assistant.spec import PlaylistSpec
from retrieval.catalog import UNIT_FEATURES, Track
from retrieval.hybrid import standardise
from retrieval.index import TrackIndex, artist_key

Habit = Literal["any", "hits", "deep_cuts"]

LIKE_WEIGHT = 2.0  # a like counts as much as the most played track, twice over
AUDIO_WEIGHT = 0.4
ARTIST_WEIGHT = 1.5  # in standard deviations for the listener's favourite artist (affinity scaled to 0..1)
DISLIKE_WEIGHT = 0.5
HABIT_WEIGHT = 0.5
HITS_MIN, DEEP_MAX = 60, 40  # the popularity bounds of PlaylistSpec's "hits" and "deep_cuts"
# A habit needs this many history tracks, and this share of them (weighted) on one side. Catalog base
# rates are 23% hits and 47% deep cuts, so the bars are about twice and one and a half times those.
HABIT_MIN_TRACKS = 5
HITS_SHARE, DEEP_SHARE = 0.5, 0.7
EXPLAIN_MIN_SCORE = 1.0  # only tracks a standard deviation above the catalog mean are explained by taste
# "Close to" means closer to a history track than 90% of the catalog is to its nearest history track:
# MiniLM similarities of track texts are high across the board (median nearest similarity ~0.62), so a fixed
# cosine threshold says little.
EXPLAIN_PERCENTILE = 90
EXPLAIN_HISTORY = 200  # nearest-track explanations look at the heaviest history tracks only


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


@dataclass
class TasteProfile:
    index: TrackIndex
    weights: dict[str, float]  # history track id -> weight (> 0), catalog tracks only
    disliked_tracks: list[str] = field(default_factory=list)
    liked_artists: list[str] = field(default_factory=list)
    disliked_artists: list[str] = field(default_factory=list)
    play_counts: dict[str, int] = field(default_factory=dict)
    _near_cutoff: float | None = field(default=None, init=False, repr=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_profile(cls, profile: Profile, index: TrackIndex) -> "TasteProfile":
        disliked = set(profile.disliked_tracks)
        plays = {t: p.count for t, p in profile.plays.items() if t in index.row and t not in disliked}
        top = max(plays.values(), default=0)
        weights = {t: float(np.log1p(n) / np.log1p(top)) for t, n in plays.items() if n > 0}
        for t in profile.liked_tracks:
            if t in index.row:
                weights[t] = weights.get(t, 0.0) + LIKE_WEIGHT
        return cls(index, weights, list(profile.disliked_tracks), list(profile.liked_artists),
                   list(profile.disliked_artists), plays)

    @classmethod
    def from_liked(cls, index: TrackIndex, track_ids: Iterable[str]) -> "TasteProfile":
        """A profile of a listener who liked exactly these tracks (the titles eval uses the seed tracks)."""
        return cls.from_profile(Profile("eval", liked_tracks=list(track_ids)), index)

    @property
    def has_taste(self) -> bool:
        """False for a new listener: nothing liked or played in this catalog, so nothing to steer by."""
        return bool(self.weights) or any(artist_key(a) in self.index.artist_index for a in self.liked_artists)

    def _history(self, index: TrackIndex) -> tuple[np.ndarray, np.ndarray]:
        ids = [t for t in self.weights if t in index.row]
        return np.array([index.row[t] for t in ids], dtype=np.int64), np.array([self.weights[t] for t in ids])

    def artist_affinity(self, index: TrackIndex) -> np.ndarray:
        """Per track: the listener's affinity for its artist, 0..1 (1 = the favourite artist)."""
        per_artist = np.zeros(len(index.artist_names), dtype=np.float64)
        rows, w = self._history(index)
        np.add.at(per_artist, index.artist[rows], w)
        for name in self.liked_artists:
            number = index.artist_index.get(artist_key(name))
            if number is not None:
                per_artist[number] += LIKE_WEIGHT
        top = per_artist.max(initial=0.0)
        return (per_artist / top if top > 0 else per_artist)[index.artist].astype(np.float32)

    # ------------------------------------------------------------------ habits

    def popularity_habit(self) -> Habit:
        """"hits" or "deep_cuts" when the history leans clearly to one side, else "any"."""
        rows, w = self._history(self.index)
        pop = self.index.popularity[rows]
        known = ~np.isnan(pop)
        if known.sum() < HABIT_MIN_TRACKS:
            return "any"
        pop, w = pop[known], w[known]
        if w[pop >= HITS_MIN].sum() >= HITS_SHARE * w.sum():
            return "hits"
        if w[pop <= DEEP_MAX].sum() >= DEEP_SHARE * w.sum():
            return "deep_cuts"
        return "any"

    def favourite_artists(self, n: int = 5) -> list[str]:
        affinity = self.artist_affinity(self.index)
        order = np.argsort(-affinity, kind="stable")
        out: list[str] = []
        for row in order:
            if affinity[row] <= 0 or len(out) >= n:
                break
            name = self.index.tracks[row].artist
            if name not in out:
                out.append(name)
        return out

    # ------------------------------------------------------------------ scoring

    def _audio_closeness(self, index: TrackIndex, rows: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Minus the distance of each track's unit-scale audio features to the history's weighted mean."""
        features = np.stack([index.features[name] for name in UNIT_FEATURES], axis=1)
        history = features[rows]
        known = ~np.isnan(history)
        mean = (np.where(known, history, 0) * w[:, None]).sum(0) / np.maximum((known * w[:, None]).sum(0), 1e-9)
        mean = np.where(known.any(0), mean, np.nan)
        diff = features - mean
        diff = np.where(np.isnan(diff), np.nanmean(np.abs(diff)), diff)  # unknown feature: an average distance
        return -np.sqrt((diff ** 2).sum(1))

    def taste_scores(self, index: TrackIndex | None = None, popularity_nudge: bool = True) -> np.ndarray:
        """Standardised taste score of every track of `index` (default: the index it was built with);
        zeros when there is no taste to score by. `popularity_nudge` adds the hits/deep-cuts habit:
        turn it off when the request itself says which."""
        index = index or self.index
        if not self.has_taste:
            return np.zeros(len(index), dtype=np.float32)
        rows, w = self._history(index)
        total = ARTIST_WEIGHT * self.artist_affinity(index)
        if len(rows):
            total += standardise(index.dense_scores(_unit((index.vectors[rows] * w[:, None]).sum(0))))
            total += AUDIO_WEIGHT * standardise(self._audio_closeness(index, rows, w))
        disliked = [index.row[t] for t in self.disliked_tracks if t in index.row]
        if disliked:
            total -= DISLIKE_WEIGHT * standardise(index.dense_scores(_unit(index.vectors[disliked].mean(0))))
        habit = self.popularity_habit() if popularity_nudge else "any"
        if habit != "any":
            pop = np.nan_to_num(standardise(np.nan_to_num(index.popularity, nan=np.nanmedian(index.popularity))))
            total += (HABIT_WEIGHT if habit == "hits" else -HABIT_WEIGHT) * pop
        return standardise(total)

    def _heaviest(self) -> np.ndarray:
        rows, w = self._history(self.index)
        return rows[np.argsort(-w, kind="stable")[:EXPLAIN_HISTORY]]

    def _near_similarity(self) -> float:
        """The similarity to the nearest history track that only EXPLAIN_PERCENTILE % of the catalog reach."""
        if self._near_cutoff is None:
            heaviest = self._heaviest()
            nearest = (self.index.vectors @ self.index.vectors[heaviest].T).max(axis=1) if len(heaviest) else [1.0]
            self._near_cutoff = float(np.percentile(nearest, EXPLAIN_PERCENTILE))
        return self._near_cutoff

    def explain_taste(self, track: Track, scores: np.ndarray | None = None) -> str | None:
        """"close to songs you like by X" for a track that fits the listener's taste, else None.

        `scores` are this profile's `taste_scores()` (pass them when explaining many tracks)."""
        index = self.index
        row = index.row.get(track.track_id)
        if row is None or not self.has_taste:
            return None
        if track.track_id in self.weights:
            plays = self.play_counts.get(track.track_id, 0)
            return f"one of your favourites ({plays} plays)" if plays else "a song you like"
        scores = self.taste_scores() if scores is None else scores
        if scores[row] < EXPLAIN_MIN_SCORE:
            return None
        heaviest = self._heaviest()
        sims = index.vectors[heaviest] @ index.vectors[row]
        cutoff = self._near_similarity()
        near = [int(heaviest[i]) for i in np.argsort(-sims, kind="stable")[:3] if sims[i] >= cutoff]
        if not near:
            return f"by {track.artist}, an artist you like" if self.artist_affinity(index)[row] > 0 else None
        artists = list(dict.fromkeys(index.tracks[r].artist for r in near))[:2]
        return f"close to songs you like by {' and '.join(artists)}"


def profile_summary(profile: Profile, index: TrackIndex, top: int = 10) -> dict[str, object]:
    """What Segue knows about a listener, with track names from `index` (`segue profile show`)."""

    def name(track_id: str) -> dict[str, str]:
        row = index.row.get(track_id)
        if row is None:
            return {"track_id": track_id, "title": "?", "artist": "? (not in this catalog)"}
        t = index.tracks[row]
        return {"track_id": track_id, "title": t.title, "artist": t.artist}

    taste = TasteProfile.from_profile(profile, index)
    played = sorted(profile.plays.values(), key=lambda p: (-p.count, p.track_id))
    return {
        "user": profile.user,
        "tracks_played": len(profile.plays),
        "plays": sum(p.count for p in profile.plays.values()),
        "popularity_habit": taste.popularity_habit(),
        "favourite_artists": taste.favourite_artists(),
        "liked_tracks": [name(t) for t in profile.liked_tracks],
        "disliked_tracks": [name(t) for t in profile.disliked_tracks],
        "liked_artists": list(profile.liked_artists),
        "disliked_artists": list(profile.disliked_artists),
        "most_played": [{**name(p.track_id), "plays": p.count} for p in played[:top]],
    }


# ------------------------------------------------------------------------------------------ steering

TASTE_WEIGHT = 2.0  # weight of the taste score at personalize=1 (the request's dense match weighs 1.0)


def personalise_spec(spec: PlaylistSpec, taste: TasteProfile) -> PlaylistSpec:
    """The spec with the listener's disliked tracks and artists added to its exclusions, which the builder
    never relaxes."""
    return spec.model_copy(update={
        "exclude_tracks": list(dict.fromkeys([*spec.exclude_tracks, *taste.disliked_tracks])),
        "exclude_artists": list(dict.fromkeys([*spec.exclude_artists, *taste.disliked_artists])),
    })


def taste_boost(taste: TasteProfile, spec: PlaylistSpec, strength: float) -> np.ndarray | None:
    """The weighted taste score to add to the ranking, or None (new listener, or strength 0).

    The popularity habit is a soft nudge inside the score, used only when the request does not say
    "hits" or "deep cuts" itself; the spec's hard popularity filter is never changed."""
    if strength <= 0 or not taste.has_taste:
        return None
    return np.float32(strength * TASTE_WEIGHT) * taste.taste_scores(popularity_nudge=spec.popularity == "any")


def add_taste_reasons(playlist: Playlist, taste: TasteProfile) -> None:
    """Append "close to songs you like by X" to the reason of each track the listener's taste explains."""
    scores = taste.taste_scores()
    for track in playlist.tracks:
        why = taste.explain_taste(track, scores)
        if why:
            base = playlist.reasons.get(track.track_id, "")
            playlist.reasons[track.track_id] = f"{base} · {why}" if base else why


class UnknownTrackError(ProfileError):
    def __init__(self, track_id: str) -> None:
        super().__init__(f"no track {track_id!r} in the catalog: give a track id from a playlist or `segue search`")


class Personaliser:
    """The listener side of `MusicAssistant`: reads the profile afresh for every request (so an import or
    another window's feedback counts at once) and records feedback.

    Without a user name, feedback lives in memory for this assistant only. A profile that cannot be read
    gives a notice and unpersonalised playlists; it is never rewritten."""

    def __init__(self, store: ProfileStore, user: str | None, strength: float = 0.5) -> None:
        if not 0.0 <= strength <= 1.0:
            raise ProfileError(f"personalize must be between 0 and 1, not {strength}")
        self.store = store
        self.user = check_user(user) if user is not None else None
        self.strength = strength
        self._session = Profile("session")

    def profile(self) -> Profile:
        return self.store.profile(self.user) if self.user is not None else self._session

    def feedback(self, index: TrackIndex, track_id: str, liked: bool | None = True) -> None:
        """Like (True) or dislike (False) a catalog track; None forgets the feedback."""
        if track_id not in index.row:
            raise UnknownTrackError(track_id)
        if self.user is not None:
            self.store.set_feedback(self.user, track_id, liked)
            return
        for group in (self._session.liked_tracks, self._session.disliked_tracks):
            if track_id in group:
                group.remove(track_id)
        if liked is not None:
            (self._session.liked_tracks if liked else self._session.disliked_tracks).append(track_id)

    def prepare(self, spec: PlaylistSpec, index: TrackIndex
                ) -> tuple[PlaylistSpec, np.ndarray | None, TasteProfile | None, list[str]]:
        """(spec with the dislikes excluded, weighted taste score or None, the taste, notices)."""
        try:
            profile = self.profile()
        except ProfileError as exc:
            return spec, None, None, [f"{exc} — this playlist is not personalised"]
        if profile.is_empty():
            return spec, None, None, []
        taste = TasteProfile.from_profile(profile, index)
        spec = personalise_spec(spec, taste)
        boost = taste_boost(taste, spec, self.strength)
        return spec, boost, taste if boost is not None else None, []
