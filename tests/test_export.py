"""Exports read back with real parsers: XSPF with xml.etree, M3U line by line, CSV with the csv module, JSON."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from assistant.builder import PlaylistBuilder
from assistant.export import CSV_COLUMNS, XSPF_NS, safe_filename, track_uri
from assistant.playlist import Playlist, Relaxation
from assistant.spec import PlaylistSpec
from retrieval.catalog import Track

NS = {"x": XSPF_NS}
TRICKY = [
    Track(track_id="4uLU6hMCjMI75M1A2tKUQC", title='Rock & Roll <Live> "Encore"', artist="AC/DC", album="Live ]]> at <b>",
          year=1992, duration_ms=245_500, popularity=70, genres=["rock", "hard rock"], energy=0.91, tempo=132.4),
    Track(track_id="user-42", title="=HYPERLINK(\"http://x\")", artist="-Minus, the band", album="@home",
          duration_ms=None, energy=None),
    Track(track_id="1x2y3z", title="Line\nbreak\x07 bell", artist="Björk — Ω 日本", album="Ünïcødé", year=2001,
          duration_ms=61_000, key=5, mode=0),
]


@pytest.fixture
def tricky() -> Playlist:
    return Playlist(title="Late <night> & \"quotes\"", description="a test\x0b of escaping", tracks=TRICKY,
                    reasons={"4uLU6hMCjMI75M1A2tKUQC": "1992 · rock & roll <loud>", "user-42": "=1+1"},
                    spec=PlaylistSpec(description="tricky", n_tracks=3),
                    relaxed=[Relaxation(constraint="energy", reason="only 1 track fit; widened")])


@pytest.fixture(scope="module")
def built(slice_index) -> Playlist:
    return PlaylistBuilder(slice_index).build(PlaylistSpec(description="rock anthems", n_tracks=12, ordering="arc"))


def test_xspf_parses_and_round_trips(tricky, built):
    for playlist in (tricky, built):
        root = ET.fromstring(playlist.to_xspf())
        assert root.tag == f"{{{XSPF_NS}}}playlist" and root.get("version") == "1"
        tracks = root.findall("x:trackList/x:track", NS)
        assert [t.findtext("x:identifier", namespaces=NS) for t in tracks] == playlist.track_ids()
        assert [t.findtext("x:creator", namespaces=NS) for t in tracks] == [
            t.artist for t in playlist.tracks]
        for element, track in zip(tracks, playlist.tracks):
            duration = element.findtext("x:duration", namespaces=NS)
            assert duration == (None if track.duration_ms is None else str(track.duration_ms))
            assert element.findtext("x:location", namespaces=NS) == track_uri(track.track_id)
    root = ET.fromstring(tricky.to_xspf())
    assert root.findtext("x:title", namespaces=NS) == 'Late <night> & "quotes"'
    first = root.find("x:trackList/x:track", NS)
    assert first.findtext("x:title", namespaces=NS) == 'Rock & Roll <Live> "Encore"'
    assert first.findtext("x:album", namespaces=NS) == "Live ]]> at <b>"
    assert first.findtext("x:annotation", namespaces=NS) == "1992 · rock & roll <loud>"
    # XML 1.0 cannot hold a bell character: it is dropped, the rest of the title survives.
    assert root.findall("x:trackList/x:track", NS)[2].findtext("x:title", namespaces=NS) == "Line\nbreak bell"


def test_m3u_lines(tricky, built):
    lines = tricky.to_m3u().splitlines()
    assert lines[0] == "#EXTM3U"
    entries = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXTINF:")]
    assert entries == [
        ("#EXTINF:246,AC/DC - Rock & Roll <Live> \"Encore\"", "spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
        ("#EXTINF:-1,-Minus, the band - =HYPERLINK(\"http://x\")", "user-42"),
        ("#EXTINF:61,Björk — Ω 日本 - Line break bell", "1x2y3z"),
    ]
    lines = built.to_m3u().splitlines()
    uris = [line for line in lines if line and not line.startswith("#")]
    assert uris == [f"spotify:track:{i}" for i in built.track_ids()]
    extinf = [line for line in lines if line.startswith("#EXTINF:")]
    assert [int(line.split(":")[1].split(",")[0]) for line in extinf] == [
        round(t.duration_ms / 1000) for t in built.tracks]


def test_csv_round_trips(tricky, built):
    rows = list(csv.DictReader(io.StringIO(built.to_csv())))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [r["track_id"] for r in rows] == built.track_ids()
    for row, t in zip(rows, built.tracks):
        assert row["title"].lstrip("'") == t.title and row["artist"].lstrip("'") == t.artist
        assert int(row["duration_ms"]) == t.duration_ms and float(row["energy"]) == t.energy
        assert row["reason"] == built.reasons[t.track_id]
    rows = list(csv.DictReader(io.StringIO(tricky.to_csv())))
    assert rows[0]["title"] == 'Rock & Roll <Live> "Encore"' and rows[0]["genres"] == "rock|hard rock"
    assert rows[2]["title"] == "Line\nbreak\x07 bell"  # quoted: embedded newlines survive
    # Cells a spreadsheet would run as formulas are neutralised.
    assert rows[1]["title"] == "'=HYPERLINK(\"http://x\")" and rows[1]["artist"] == "'-Minus, the band"
    assert rows[1]["reason"] == "'=1+1" and rows[1]["duration_ms"] == "" and rows[1]["energy"] == ""


def test_json_round_trips(tricky, built):
    data = json.loads(built.to_json())
    assert [t["track_id"] for t in data["tracks"]] == built.track_ids()
    for item, t in zip(data["tracks"], built.tracks):
        assert Track.model_validate({k: v for k, v in item.items() if k != "reason"}) == t
        assert {"track_id", "title", "artist", "year", "duration_ms"} <= item.keys()
    assert PlaylistSpec.model_validate(data["spec"]) == built.spec
    data = json.loads(tricky.to_json())
    assert data["title"] == tricky.title and data["relaxed"][0]["constraint"] == "energy"
    assert data["tracks"][2]["artist"] == "Björk — Ω 日本"


@pytest.mark.parametrize("title, ext, expected", [
    ("Late night drive", "m3u", "Late_night_drive.m3u"),
    ("../../etc/passwd", "xspf", "etc_passwd.xspf"),
    ("..\\..\\windows\\evil", "csv", "windows_evil.csv"),
    ("   ", "json", "playlist.json"),
    ("...", "m3u", "playlist.m3u"),
    ("CON", "csv", "playlist_CON.csv"),
    ("a\x00b\nc\td", "m3u", "a_b_c_d.m3u"),
    ("Beyoncé: <Best> | \"Hits\"?", "json", "Beyoncé_Best_Hits.json"),
    ("x", "../m3u", "x.m3u"),
])
def test_safe_filename(title, ext, expected):
    assert safe_filename(title, ext) == expected


def test_safe_filename_is_bounded():
    name = safe_filename("ab" * 500, "xspf")
    assert len(name) <= 80 + len(".xspf") and name.endswith(".xspf") and "/" not in name
