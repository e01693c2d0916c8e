"""Unlabelled tracks borrow their artist's genre labels: by hand, as properties, and through a real ingest;
an artist's main genre; a subgenre's parent genre, by hand and on the default catalog."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings as hyp_settings, strategies as st

from retrieval.catalog import Catalog, Track
from retrieval.embeddings import shared_embedder
from retrieval.ingest import ingest
from retrieval.labels import (BORROWED_GENRES, BORROWED_SUBGENRES, ArtistLabels, borrow_artist_labels,
                              parent_genres)
from retrieval.settings import Settings
from retrieval.snapshot import read_snapshot
from retrieval.text import track_text


def _track(i: int, artist: str, genres: Sequence[str] = (), subgenres: Sequence[str] = ()) -> Track:
    return Track(track_id=f"t{i}", title=f"Song {i}", artist=artist, genres=list(genres), subgenres=list(subgenres))


def test_an_unlabelled_track_takes_its_artists_most_frequent_labels():
    tracks = [
        _track(0, "Bill Withers", ["r&b"], ["neo soul"]),
        _track(1, "Bill Withers", ["r&b"], ["neo soul"]),
        _track(2, "bill  withers", ["pop"], ["indie poptimism"]),  # one stray playlist
        _track(3, "Bill Withers"),
        _track(4, "Nobody Labelled"),
        _track(5, "Nobody Labelled"),
    ]
    out, borrowed = borrow_artist_labels(tracks)
    assert borrowed == 1
    assert [t.track_id for t in out] == [t.track_id for t in tracks]
    assert out[:3] == tracks[:3]  # labelled tracks keep exactly their own labels
    assert out[3].genres == ["r&b"] and out[3].subgenres == ["neo soul"]
    assert out[3].title == "Song 3" and out[3].artist == "Bill Withers"
    assert out[4:] == tracks[4:]  # an artist without any labelled track lends nothing
    labels = ArtistLabels(tracks)
    assert labels.of("BILL  WITHERS") == (["r&b"], ["neo soul"])  # the artist's name folded, as everywhere
    assert labels.of("Nobody Labelled") is None
    assert ArtistLabels(tracks, 2, 3).of("Bill Withers") == (["r&b", "pop"], ["neo soul", "indie poptimism"])
    # the genre two thirds of an artist's labelled tracks carry: r&b is 2 of 3; with one more stray, none is
    assert labels.main_genre("bill withers") == "r&b" and labels.main_genre("Nobody Labelled") is None
    assert ArtistLabels([*tracks, _track(6, "Bill Withers", ["rock"])]).main_genre("Bill Withers") is None


_artists = st.sampled_from(["A", "B", "C", "D"])
_labels = st.lists(st.sampled_from(["rock", "pop", "rap", "edm", "latin"]), max_size=3, unique=True)


@hyp_settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_artists, _labels, _labels), max_size=30))
def test_borrowing_invariants(rows):
    tracks = [_track(i, a, g, s) for i, (a, g, s) in enumerate(rows)]
    out, borrowed = borrow_artist_labels(tracks)
    assert len(out) == len(tracks) and borrowed == sum(a != b for a, b in zip(tracks, out))
    for before, after in zip(tracks, out):
        assert after.track_id == before.track_id
        if before.genres or before.subgenres:
            assert after == before
            continue
        own = [t for t in tracks if t.artist == before.artist and (t.genres or t.subgenres)]
        if not own:
            assert after == before
            continue
        # Only labels the artist's labelled tracks carry, at most a few, the most frequent first.
        genre_counts = Counter(g for t in own for g in t.genres)
        sub_counts = Counter(s for t in own for s in t.subgenres)
        assert set(after.genres) <= set(genre_counts) and len(after.genres) == min(BORROWED_GENRES, len(genre_counts))
        assert set(after.subgenres) <= set(sub_counts)
        assert len(after.subgenres) == min(BORROWED_SUBGENRES, len(sub_counts))
        if after.genres:
            assert genre_counts[after.genres[0]] == max(genre_counts.values())


def test_ingest_lends_artist_labels_and_says_so(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", threads=1, chroma_url=None)
    rows = [
        {"id": "a1", "title": "Lovely Day", "artist": "Bill Withers", "genres": "r&b", "subgenres": "neo soul"},
        {"id": "a2", "title": "Grandma's Hands", "artist": "Bill Withers", "genres": "r&b", "subgenres": "neo soul"},
        {"id": "a3", "title": "Use Me", "artist": "Bill Withers"},
        {"id": "b1", "title": "Unknown Thing", "artist": "Somebody New"},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = ingest(settings, path, progress=False)
    assert result.labels_borrowed == 1
    assert "1 unlabelled tracks took their artist's genres" in result.summary()
    snap = read_snapshot(settings.index_dir)
    by_id = {t.track_id: t for t in snap.tracks}
    assert by_id["a3"].genres == ["r&b"] and by_id["a3"].subgenres == ["neo soul"]
    assert by_id["b1"].genres == [] and by_id["b1"].subgenres == []
    # The borrowed labels are in the embedded text, so a "neo soul" request can find the track.
    text = track_text(by_id["a3"])
    assert "neo soul" in text
    use_me = snap.vectors[[t.track_id for t in snap.tracks].index("a3")]
    assert float(use_me @ shared_embedder(1).encode([text])[0]) > 0.999
    again = ingest(settings, path, progress=False)  # nothing changed: the count comes from the manifest
    assert again.embedded == 0 and again.labels_borrowed == 1


def test_a_subgenre_belongs_to_the_genre_its_tracks_carry_most():
    tracks = [
        _track(0, "A", ["r&b"], ["neo soul"]),
        _track(1, "B", ["r&b", "pop"], ["neo soul"]),  # also in a pop playlist: the majority still wins
        _track(2, "C", ["r&b"], ["neo soul", "urban contemporary"]),
        _track(3, "D", ["rock"], ["classic rock"]),
        _track(4, "E", ["latin"], ["latin"]),  # a label used as a genre has no parent
        _track(5, "F", [], ["orphan"]),  # no genre anywhere: nothing to widen to
        _track(6, "G", ["pop"], []),
    ]
    assert parent_genres(tracks) == {"neo soul": "r&b", "urban contemporary": "r&b", "classic rock": "rock"}


def test_every_default_catalog_subgenre_has_one_of_its_genres(catalog: Catalog):
    parents = parent_genres(catalog.tracks)
    subgenres = {p.subgenre for p in catalog.playlists}
    genres = {p.genre for p in catalog.playlists}
    assert set(parents) == subgenres and set(parents.values()) == genres
    assert parents["neo soul"] == "r&b" and parents["classic rock"] == "rock" and parents["trap"] == "rap"
    for p in catalog.playlists:  # the catalog files each playlist under a subgenre of one genre
        assert parents[p.subgenre] == p.genre
