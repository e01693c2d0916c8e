"""Genre labels: an artist's, for tracks that carry none or several; a subgenre's parent genre.

Spotify gives genres to artists, not to tracks, and a catalog's labels are sparse: a user's file may label
some of an artist's tracks and not others, and in the default catalog a track's labels come from the
playlists it was collected for (see `retrieval.catalog`). A track without any label is otherwise invisible
to every "soul" or "trap" request, so it borrows its artist's most frequent labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from retrieval.catalog import Track
from retrieval.index import artist_key

# A borrowed label set is as large as a labelled track's usually is (one of each for nine tracks in ten of
# the default catalog): a track with more labels than its neighbours would match more requests than they do.
BORROWED_GENRES = 1
BORROWED_SUBGENRES = 1


class ArtistLabels:
    """The most frequent genre and subgenre labels of each artist over the labelled tracks it was given:
    at most `n_genres` and `n_subgenres`, so a few stray playlists do not redefine an artist's style; and the
    genre most of its tracks carry, if one does."""

    def __init__(self, tracks: Sequence[Track], n_genres: int = BORROWED_GENRES,
                 n_subgenres: int = BORROWED_SUBGENRES) -> None:
        genres: dict[str, Counter[str]] = defaultdict(Counter)
        subgenres: dict[str, Counter[str]] = defaultdict(Counter)
        labelled: Counter[str] = Counter()
        keys: dict[str, str] = {}  # one key per name: folding every track's artist took most of the time
        for t in tracks:
            if t.genres or t.subgenres:
                artist = keys.get(t.artist) or keys.setdefault(t.artist, artist_key(t.artist))
                genres[artist].update(t.genres)
                subgenres[artist].update(t.subgenres)
                labelled[artist] += 1
        self._labels = {a: ([g for g, _ in genres[a].most_common(n_genres)],
                            [s for s, _ in subgenres[a].most_common(n_subgenres)]) for a in genres}
        self._main_genre = {a: g for a in genres for g, n in genres[a].most_common(1) if 3 * n >= 2 * labelled[a]}

    def of(self, artist_name: str) -> tuple[list[str], list[str]] | None:
        """(genres, subgenres) of the artist, or None when none of its tracks is labelled."""
        labels = self._labels.get(artist_key(artist_name))
        return (list(labels[0]), list(labels[1])) if labels else None

    def main_genre(self, artist_name: str) -> str | None:
        """The genre two thirds of the artist's labelled tracks carry: Lynyrd Skynyrd's rock (32 of 32); none for
        an artist the catalog files all over (Rihanna: latin 16, edm 14, pop 11, r&b 10 of 45)."""
        return self._main_genre.get(artist_key(artist_name))


def borrow_artist_labels(tracks: Sequence[Track]) -> tuple[list[Track], int]:
    """The tracks, each unlabelled one with its artist's labels when the artist has labelled tracks; and how
    many borrowed. Labelled tracks are returned as they are."""
    labels = ArtistLabels(tracks)
    out: list[Track] = []
    borrowed = 0
    for t in tracks:
        found = None if t.genres or t.subgenres else labels.of(t.artist)
        if found is None:
            out.append(t)
            continue
        out.append(t.model_copy(update={"genres": found[0], "subgenres": found[1]}))
        borrowed += 1
    return out, borrowed


def parent_genres(tracks: Sequence[Track]) -> dict[str, str]:
    """Subgenre -> the genre the tracks carrying it carry most often ("neo soul" -> "r&b"); a label that is
    also used as a genre has no parent. Lets a request for a subgenre too thin for its other constraints widen
    to the family it belongs to rather than lose its era or mood."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    genres: set[str] = set()
    for t in tracks:
        genres.update(t.genres)
        for s in t.subgenres:
            counts[s].update(t.genres)
    return {s: c.most_common(1)[0][0] for s, c in counts.items() if c and s not in genres}
