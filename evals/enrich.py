"""What the catalog Segue is set up with knows about the tracks of another corpus (CPCD).

A CPCD track is only a title, its artists and an album. The catalog knows more about many of them: the genre
labels of an artist it holds, and the year, popularity and audio features of a song it holds. `CatalogKnowledge`
copies that onto the corpus' tracks, so a conversation's "80s dance party" can be matched the way it is matched
on the catalog itself. Matching is by name only (folded artist, normalised title), never by anything in the
corpus' dialogs, so it is the same for conversations the weights were fitted on and for unseen ones.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from retrieval.catalog import AUDIO_FEATURES, Track
from retrieval.index import artist_key
from retrieval.labels import ArtistLabels
from retrieval.lexical import fold

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_VERSION = re.compile(r"\s-\s.*$")  # "Song - Remastered 2009", "Song - Live"
_NON_WORD = re.compile(r"[^\w]+")
# A conversation's track is matched against its artist's style as a whole (every track of the corpus gets
# the same number), so it takes a wider view of the artist than a catalog track borrowing labels does.
ARTIST_GENRES = 2
ARTIST_SUBGENRES = 3


def normalised_title(title: str) -> str:
    """Title without bracketed notes or a " - version" suffix, folded: uploads of one song compare equal."""
    text = _VERSION.sub("", _BRACKETS.sub(" ", fold(title)))
    return " ".join(_NON_WORD.sub(" ", text).split()) or " ".join(_NON_WORD.sub(" ", fold(title)).split())


class KnowledgeCoverage(BaseModel):
    tracks: int = 0
    artist_known: int = 0  # got the artist's genre labels (and, without a song match, its median popularity)
    song_known: int = 0  # also got the song's year, popularity and audio features


class CatalogKnowledge:
    """Artist labels and song facts of a catalog, looked up by name."""

    def __init__(self, catalog: Sequence[Track]) -> None:
        popularity: dict[str, list[int]] = defaultdict(list)
        self._songs: dict[tuple[str, str], Track] = {}
        self._artists: set[str] = set()
        for t in catalog:
            artist = artist_key(t.artist)
            self._artists.add(artist)
            if t.popularity is not None:
                popularity[artist].append(t.popularity)
            self._songs.setdefault((artist, normalised_title(t.title)), t)
        self._labels = ArtistLabels(catalog, ARTIST_GENRES, ARTIST_SUBGENRES)
        self._popularity = {a: int(np.median(p)) for a, p in popularity.items() if p}
        self.coverage = KnowledgeCoverage()

    def enrich(self, track: Track, artists: Sequence[str]) -> Track:
        """`track` with what the catalog knows of its first known artist, and of the song by that artist."""
        self.coverage.tracks += 1
        for artist in map(artist_key, artists):
            if artist not in self._artists:
                continue
            genres, subgenres = self._labels.of(artist) or ([], [])
            update: dict[str, object] = {"genres": genres, "subgenres": subgenres,
                                         "popularity": self._popularity.get(artist)}
            song = self._songs.get((artist, normalised_title(track.title)))
            if song is not None:
                update |= {"year": song.year, "popularity": song.popularity}
                update |= {name: getattr(song, name) for name in AUDIO_FEATURES}
                self.coverage.song_known += 1
            self.coverage.artist_known += 1
            return track.model_copy(update=update)
        return track
