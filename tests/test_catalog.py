"""The catalog loader on the real shipped file and on crafted bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from retrieval.catalog import AUDIO_FEATURES, CatalogError, load_catalog, parse_year
from retrieval.settings import DEFAULT_CATALOG
from retrieval.text import track_text

HEADER = ("track_id,track_name,track_artist,track_popularity,track_album_id,track_album_name,"
          "track_album_release_date,playlist_name,playlist_id,playlist_genre,playlist_subgenre,danceability,"
          "energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms")


def spotify_row(tid: str, title: str = "Song", artist: str = "Band", date: str = "2001-05-06", pid: str = "p1",
                genre: str = "rock", subgenre: str = "hard rock", energy: str = "0.5", popularity: str = "40") -> str:
    return (f"{tid},{title},{artist},{popularity},alb1,Album,{date},List {pid},{pid},{genre},{subgenre},"
            f"0.5,{energy},5,-6.0,1,0.05,0.1,0.0,0.1,0.4,120.0,200000")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_real_catalog_counts(catalog):
    assert len(catalog.tracks) == 28_356
    assert len(catalog.playlists) == 471
    assert catalog.report.rows == 32_833
    assert catalog.report.skipped_total == 0


def test_real_catalog_keeps_every_genre_of_a_track(catalog):
    by_id = catalog.by_id()
    # A track in several playlists carries each playlist's genre and subgenre.
    multi = [t for t in catalog.tracks if len(t.genres) > 1]
    assert len(multi) > 500
    track = by_id["6f807x0ima9a1j3VPbc7VN"]  # I Don't Care (Loud Luxury Remix): pop and edm playlists
    assert set(track.genres) >= {"pop", "edm"}
    assert "dance pop" in track.subgenres
    member_of = [p for p in catalog.playlists if track.track_id in p.track_ids]
    assert {p.genre for p in member_of} == set(track.genres)


def test_real_catalog_keeps_features_and_years(catalog):
    track = catalog.by_id()["6f807x0ima9a1j3VPbc7VN"]
    assert track.year == 2019 and track.release_date == "2019-06-14"
    assert track.duration_ms == 194_754 and track.popularity == 66
    assert track.energy == pytest.approx(0.916) and track.tempo == pytest.approx(122.036)
    assert all(getattr(track, f) is not None for f in AUDIO_FEATURES)
    assert all(t.year is not None for t in catalog.tracks)


def test_playlists_keep_track_order(catalog):
    playlist = catalog.playlists[0]
    assert playlist.name == "Pop Remix" and playlist.genre == "pop" and playlist.subgenre == "dance pop"
    assert playlist.track_ids[:2] == ["6f807x0ima9a1j3VPbc7VN", "0r7CVbZTWZgbTCYdfa2P31"]
    assert sum(len(p.track_ids) for p in catalog.playlists) >= 28_356


@pytest.mark.parametrize("text, year", [("1999", 1999), ("1987-03", 1987), ("2012-11-30", 2012), ("", None)])
def test_three_date_forms(text, year):
    assert parse_year(text) == year


def test_date_forms_in_a_file(tmp_path):
    path = write(tmp_path / "c.csv", [HEADER, spotify_row("a", date="1975"), spotify_row("b", date="1983-07"),
                                      spotify_row("c", date="2004-02-29")])
    years = {t.track_id: t.year for t in load_catalog(path).tracks}
    assert years == {"a": 1975, "b": 1983, "c": 2004}


def test_bad_rows_are_skipped_and_counted(tmp_path):
    path = write(tmp_path / "bad.csv", [
        HEADER,
        spotify_row("good1"),
        spotify_row("", title="No id"),
        spotify_row("x1", title=""),
        spotify_row("x2", energy="loud"),
        spotify_row("x3", date="last year"),
        spotify_row("good2", pid="p2", genre="pop", subgenre="dance pop"),
    ])
    cat = load_catalog(path)
    assert [t.track_id for t in cat.tracks] == ["good1", "good2"]
    assert cat.report.rows == 6
    assert cat.report.skipped == {"missing id": 1, "empty title": 1, "unparseable energy": 1,
                                  "unparseable release date": 1}
    assert "4 skipped" in cat.report.summary() and "missing id" in cat.report.summary()


@pytest.mark.parametrize("name", ["nope.csv", "nope.jsonl"])
def test_missing_file_is_a_one_line_error(tmp_path, name):
    with pytest.raises(CatalogError) as err:
        load_catalog(tmp_path / name)
    assert "not found" in str(err.value) and "\n" not in str(err.value)


def test_unreadable_files_are_one_line_errors(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage\x80\x81")
    (tmp_path / "broken.csv.gz").write_bytes(b"not gzip at all")
    (tmp_path / "noheader.csv").write_text("foo,bar\n1,2\n")
    for name in ("bin.csv", "broken.csv.gz", "noheader.csv"):
        with pytest.raises(CatalogError) as err:
            load_catalog(tmp_path / name)
        assert "\n" not in str(err.value)
    with pytest.raises(CatalogError):
        load_catalog(tmp_path)


def test_user_csv_catalog_missing_features_stay_missing(tmp_path):
    path = write(tmp_path / "mine.csv", [
        "id,title,artist,year,genres,energy",
        "u1,Blue in Green,Miles Davis,1959,jazz|cool jazz,0.2",
        "u2,So What,Miles Davis,,jazz,",
        "u3,,Nobody,2000,,",
    ])
    cat = load_catalog(path)
    assert [t.track_id for t in cat.tracks] == ["u1", "u2"]
    first, second = cat.tracks
    assert first.genres == ["jazz", "cool jazz"] and first.year == 1959 and first.energy == 0.2
    assert second.year is None and second.energy is None and second.tempo is None and second.duration_ms is None
    assert cat.report.skipped == {"empty title": 1}
    assert "tempo" not in track_text(second)


def test_user_jsonl_catalog(tmp_path):
    rows = [
        {"id": "j1", "title": "Teardrop", "artist": "Massive Attack", "release_date": "1998-04", "tempo": 77,
         "genres": ["trip hop"]},
        {"id": "j2", "title": "Angel", "artist": "Massive Attack", "duration_ms": 379000},
        {"title": "no id", "artist": "x"},
    ]
    lines = [json.dumps(r) for r in rows] + ["{not json"]
    path = tmp_path / "mine.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    cat = load_catalog(path)
    assert [t.track_id for t in cat.tracks] == ["j1", "j2"]
    assert cat.tracks[0].year == 1998 and cat.tracks[0].tempo == 77 and cat.tracks[0].genres == ["trip hop"]
    assert cat.tracks[1].energy is None
    assert cat.report.skipped == {"missing id": 1, "malformed line": 1}


def test_shipped_catalog_is_the_attributed_file():
    assert DEFAULT_CATALOG.exists()
    notice = (DEFAULT_CATALOG.parent / "README.md").read_text()
    assert "tidytuesday" in notice and "MIT" in notice
