"""Listener profiles end to end: a real SQLite file, real history files, real embeddings (the catalog slice),
the real `MusicAssistant` and the real `segue` CLI in a subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.api import MusicAssistant
from assistant.builder import song_key
from assistant.history_import import HistoryImportError, import_history
from assistant.profiles import (
    SCHEMA_VERSION,
    Play,
    ProfileCorruptError,
    ProfileError,
    ProfileStore,
    store_path,
)
from assistant.taste import TasteProfile, UnknownTrackError
from retrieval.index import artist_key
from retrieval.snapshot import Snapshot, write_snapshot
from tests.conftest import TEST_THREADS

DATA = Path(__file__).parent / "data"
SWEET_CHILD = "7o2CTH4ctstm8TNelqjb51"  # Sweet Child O' Mine — Guns N' Roses (Loved, 87 plays)
PATIENCE = "7D5n2kpYH2WSqIyEO9MeXf"  # rated 5 stars
MY_AGE = "1hWrl3T1kIH5b9zRHLfCOn"  # What's My Age Again? — blink-182 (Disliked)
RUNS_THROUGH_ME = "02CygBCQOIyEuhNZqHHcNx"  # "It Runs Through Me (feat. De La Soul)" in the library
SIGNOS = "62jnuBopQmg4qx6hpYltC9"  # "Signos - Remasterizada 2007"; "Signos (Remasterizado 2007)" in the library
NEUTRAL = "some music for the afternoon"


@pytest.fixture
def store(settings) -> ProfileStore:
    return ProfileStore(store_path(settings.data_dir))


def rows_of(index, playlist) -> list[int]:
    return [index.row[t.track_id] for t in playlist.tracks]


# ------------------------------------------------------------------------------------------ the store


def test_store_is_created_on_first_write_and_keeps_users_apart(store):
    assert store.profile("alice").is_empty() and store.users() == []
    assert not store.path.exists()  # reading never creates the file
    store.set_feedback("alice", "t1", True)
    store.set_feedback("bob", "t2", False)
    store.set_artist_feedback("bob", "Beyoncé", False)
    store.apply("alice", plays=[Play("t3", 5, 100.0), Play("t4", 2)])
    assert store.path.exists() and store.users() == ["alice", "bob"]
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    alice, bob = store.profile("alice"), store.profile("bob")
    assert alice.liked_tracks == ["t1"] and alice.disliked_tracks == [] and set(alice.plays) == {"t3", "t4"}
    assert bob.disliked_tracks == ["t2"] and bob.disliked_artists == ["Beyoncé"] and not bob.plays

    store.set_feedback("alice", "t1", False)  # changing one's mind replaces the feedback
    assert store.profile("alice").liked_tracks == [] and store.profile("alice").disliked_tracks == ["t1"]
    store.set_feedback("alice", "t1", None)
    assert store.profile("alice").disliked_tracks == []

    # A cumulative export imported again does not double the counts; a newer date wins.
    store.apply("alice", plays=[Play("t3", 3, 50.0), Play("t4", 7, 200.0)])
    plays = store.profile("alice").plays
    assert (plays["t3"].count, plays["t3"].last_played) == (5, 100.0)
    assert (plays["t4"].count, plays["t4"].last_played) == (7, 200.0)


def test_a_failing_write_changes_nothing(store):
    store.apply("alice", plays=[Play("a", 3)])
    before = store.profile("alice")
    with pytest.raises(sqlite3.IntegrityError):
        store.apply("alice", plays=[Play("b", 1), Play("c", -1)], track_feedback={"d": True})
    assert store.profile("alice") == before
    assert store.users() == ["alice"]


def test_a_writer_killed_mid_import_leaves_the_last_committed_profile(store):
    store.apply("alice", plays=[Play("a", 3)])
    killed = (  # a second process dies inside a large write, leaving its rollback journal behind
        "import os, sqlite3, sys\n"
        "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "con.execute('PRAGMA cache_size = 1')\n"
        "con.execute('BEGIN IMMEDIATE')\n"
        "for i in range(2000):\n"
        "    con.execute(\"INSERT INTO plays VALUES ('alice', ?, 1, NULL)\", (str(i) * 20,))\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", killed, str(store.path)], check=True)
    assert store.path.with_name(store.path.name + "-journal").exists()
    fresh = ProfileStore(store.path)
    assert set(fresh.profile("alice").plays) == {"a"}
    fresh.set_feedback("alice", "a", True)
    assert fresh.profile("alice").liked_tracks == ["a"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there"])
def test_invalid_user_names_are_refused(store, name):
    with pytest.raises(ProfileError, match="invalid user name"):
        store.set_feedback(name, "t1", True)
    assert not store.path.exists()


def test_a_newer_schema_is_refused_and_kept(store):
    store.path.parent.mkdir(parents=True)
    with sqlite3.connect(store.path) as con:
        con.execute("CREATE TABLE future (x)")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = store.path.read_bytes()
    with pytest.raises(ProfileCorruptError, match="upgrade Segue"):
        store.set_feedback("alice", "t1", True)
    assert store.path.read_bytes() == before


# ------------------------------------------------------------------------------------------ importing


def test_import_apple_music_library(slice_index, store):
    report = import_history(store, "alice", DATA / "Library.xml", slice_index.tracks)
    assert report.format == "itunes" and report.rows == 19
    assert report.matched_rows == 15 and len(report.matched) == 15
    assert report.match_rate == pytest.approx(15 / 19)
    missing = {u.title: u.reason for u in report.unmatched}
    assert missing == {"Hurt": "artist not in the catalog", "Roads": "artist not in the catalog",
                       "Alison": "artist not in the catalog",
                       "Episode 112: The Loudness War": "not a song (podcast or video)"}
    assert (report.liked, report.disliked) == (3, 1)

    profile = store.profile("alice")
    assert {SWEET_CHILD, PATIENCE} <= set(profile.liked_tracks)  # Loved, and rated five stars
    assert profile.disliked_tracks == [MY_AGE]
    assert profile.plays[SWEET_CHILD].count == 87
    assert profile.plays[SWEET_CHILD].last_played and profile.plays[SWEET_CHILD].last_played > 1.6e9
    assert profile.plays[RUNS_THROUGH_ME].count == 17  # "(feat. De La Soul)" dropped for matching
    assert profile.plays[SIGNOS].count == 9  # "(Remasterizado 2007)" vs "- Remasterizada 2007"

    again = import_history(store, "alice", DATA / "Library.xml", slice_index.tracks)
    assert again.matched == report.matched
    assert store.profile("alice").plays == profile.plays  # cumulative counts are not doubled


def test_import_csv_history(slice_index, store):
    report = import_history(store, "bob", DATA / "history.csv", slice_index.tracks)
    assert report.format == "csv" and report.rows == 14 and report.matched_rows == 12
    assert [(u.where, u.title, u.reason) for u in report.unmatched] == [
        ("line 14", "Cherry Wine", "artist not in the catalog"),
        ("line 15", "Get to Know Ya", "invalid play count 'lots'"),
    ]
    by_title = {slice_index.tracks[slice_index.row[t]].title: n for t, n in report.matched.items()}
    assert by_title["Fortunate"] == 14  # two rows of the same song add up
    assert by_title["Save Room"] == 1  # no play count: one play
    assert by_title["Tonight (Best You Ever Had)"] == 9  # "[feat. Ludacris]" dropped
    assert by_title["Stop the World"] == 3  # "MAXWELL" in capitals
    plays = store.profile("bob").plays
    assert len(plays) == 11 and sum(p.count for p in plays.values()) == 154
    assert all(p.last_played is None or p.last_played > 1.6e9 for p in plays.values())


MALFORMED = {
    "truncated.xml": (DATA / "Library.xml").read_bytes()[:5000],
    "no-tracks.xml": b'<?xml version="1.0"?><plist version="1.0"><dict><key>Tracks</key><array/></dict></plist>',
    "entities.xml": b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    b'<plist version="1.0"><dict><key>Tracks</key><dict><key>1</key><dict><key>Name</key>'
                    b'<string>&b;</string></dict></dict></dict></plist>',
    "garbage.xml": os.urandom(2000),
    "no-header.csv": b"Sweet Child O' Mine,Guns N' Roses,12\nYellow,Coldplay,3\n",
    "latin1.csv": "title,artist\nCanción Animal,Soda Stereo\n".encode("latin-1"),
    "empty.csv": b"title,artist,play_count\n",
    "binary.csv": b"title,artist\n\x00\x01\x02,\x00\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_history_is_a_clear_error_and_changes_nothing(slice_index, store, tmp_path, name):
    import_history(store, "alice", DATA / "history.csv", slice_index.tracks)
    before = store.path.read_bytes()
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    with pytest.raises(HistoryImportError) as caught:
        import_history(store, "alice", path, slice_index.tracks)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert store.path.read_bytes() == before


# ------------------------------------------------------------------------------------------ steering


def test_feedback_moves_the_next_playlist_towards_the_likes(settings, slice_index):
    baseline = MusicAssistant(settings, index=slice_index).generate_playlist(NEUTRAL, n_tracks=15)
    assistant = MusicAssistant(settings, index=slice_index, user="carol")
    assert assistant.generate_playlist(NEUTRAL, n_tracks=15).track_ids() == baseline.track_ids()  # new listener

    soda = [t.track_id for t in slice_index.tracks if t.artist == "Soda Stereo"][:6]
    for track_id in soda:
        assistant.feedback(track_id, liked=True)
    after = assistant.generate_playlist(NEUTRAL, n_tracks=15)

    taste = TasteProfile.from_liked(slice_index, soda).taste_scores(popularity_nudge=False)
    before_score = float(taste[rows_of(slice_index, baseline)].mean())
    after_score = float(taste[rows_of(slice_index, after)].mean())
    assert after_score > before_score + 0.5, (before_score, after_score)
    assert after.track_ids() != baseline.track_ids()
    reasons = [after.reasons[t] for t in after.track_ids()]
    assert any("close to songs you like by" in r or "you like" in r for r in reasons)

    # Stored: a new assistant for the same user steers the same way; strength 0 turns it off.
    again = MusicAssistant(settings, index=slice_index, user="carol").generate_playlist(NEUTRAL, n_tracks=15)
    assert again.track_ids() == after.track_ids()
    off = MusicAssistant(settings, index=slice_index, user="carol", personalize=0).generate_playlist(NEUTRAL, n_tracks=15)
    assert off.track_ids() == baseline.track_ids()


REQUESTS = [NEUTRAL, "rock classics", "hard rock from the 80s and 90s", "Guns N' Roses", "songs like Sweet Child O' Mine",
            "energetic workout music", "chill rock ballads", "pop punk anthems", "latin rock en español",
            "something to dance to"]


def test_dislikes_never_appear(settings, slice_index, store):
    assistant = MusicAssistant(settings, index=slice_index, user="erin")
    first = assistant.generate_playlist("rock classics", n_tracks=20)
    disliked = first.track_ids()[:4]
    for track_id in disliked:
        assistant.feedback(track_id, liked=False)
    store.set_artist_feedback("erin", "Guns N' Roses", False)
    banned_songs = {song_key(slice_index.tracks[slice_index.row[t]]) for t in disliked}
    for request in REQUESTS:
        playlist = assistant.generate_playlist(request, n_tracks=20)
        assert playlist.tracks, request
        assert not set(disliked) & set(playlist.track_ids()), request
        assert not banned_songs & {song_key(t) for t in playlist.tracks}, request
        assert all(artist_key(t.artist) != artist_key("Guns N' Roses") for t in playlist.tracks), request


def test_without_a_user_feedback_lives_in_memory(settings, slice_index):
    assistant = MusicAssistant(settings, index=slice_index)
    first = assistant.generate_playlist(NEUTRAL, n_tracks=10)
    assistant.feedback(first.track_ids()[0], liked=False)
    assert first.track_ids()[0] not in assistant.generate_playlist(NEUTRAL, n_tracks=10).track_ids()
    assert not store_path(settings.data_dir).exists()
    with pytest.raises(UnknownTrackError):
        assistant.feedback("no-such-track", liked=True)
    with pytest.raises(ProfileError, match="between 0 and 1"):
        MusicAssistant(settings, index=slice_index, personalize=1.5)


@pytest.mark.parametrize("content", [os.urandom(4096), b"not a database, just a text file\n" * 20])
def test_corrupted_profile_database(settings, slice_index, store, content):
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    with pytest.raises(ProfileCorruptError) as caught:
        store.profile("alice")
    assert "\n" not in str(caught.value) and str(store.path) in str(caught.value)
    with pytest.raises(ProfileCorruptError):
        import_history(store, "alice", DATA / "history.csv", slice_index.tracks)

    assistant = MusicAssistant(settings, index=slice_index, user="alice")
    playlist = assistant.generate_playlist(NEUTRAL, n_tracks=10)
    assert len(playlist.tracks) == 10
    assert any("not personalised" in n and str(store.path) in n for n in playlist.notices)
    with pytest.raises(ProfileCorruptError):
        assistant.feedback(playlist.track_ids()[0], liked=True)

    assert store.path.read_bytes() == content
    assert sorted(p.name for p in store.path.parent.iterdir()) == [store.path.name]  # no journal left


def test_taste_profile_habits_and_explanations(slice_index):
    tracks = [t for t in slice_index.tracks if t.popularity is not None]
    hits = [t.track_id for t in sorted(tracks, key=lambda t: -t.popularity)[:8]]
    deep = [t.track_id for t in tracks if t.popularity <= 10][:8]
    assert TasteProfile.from_liked(slice_index, hits).popularity_habit() == "hits"
    assert TasteProfile.from_liked(slice_index, deep).popularity_habit() == "deep_cuts"
    assert TasteProfile.from_liked(slice_index, hits[:2]).popularity_habit() == "any"  # too little to tell

    new = TasteProfile.from_liked(slice_index, [])
    assert not new.has_taste and not new.taste_scores().any()

    gnr = [t for t in slice_index.tracks if t.artist == "Guns N' Roses"]
    taste = TasteProfile.from_liked(slice_index, [t.track_id for t in gnr[:5]])
    scores = taste.taste_scores()
    assert scores.mean() == pytest.approx(0, abs=1e-4) and scores.std() == pytest.approx(1, abs=1e-3)
    others = [slice_index.row[t.track_id] for t in gnr[5:]]
    assert np.median(scores[others]) > 1.5  # the same artist's other songs rank far above the catalog
    assert taste.explain_taste(gnr[6]) == "close to songs you like by Guns N' Roses"
    assert taste.explain_taste(gnr[0]) == "a song you like"
    worst = slice_index.tracks[int(np.argmin(scores))]
    assert taste.explain_taste(worst) is None


# ------------------------------------------------------------------------------------------ the CLI


@pytest.fixture
def cli_data_dir(slice_index, tmp_path) -> Path:
    """A data dir whose index is the slice (written as a snapshot, nothing embedded again)."""
    data_dir = tmp_path / "data"
    write_snapshot(data_dir / "index", Snapshot(slice_index.tracks, slice_index.vectors, slice_index.playlists,
                                                slice_index.playlist_vectors, {"catalog": "test slice"}))
    return data_dir


def segue(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEGUE_DATA_DIR": str(data_dir), "SEGUE_THREADS": str(TEST_THREADS)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_profile_import_and_show(cli_data_dir, tmp_path):
    out = segue("profile", "import", str(DATA / "Library.xml"), "--user", "alice", data_dir=cli_data_dir)
    assert out.returncode == 0, out.stderr
    assert "15 of 19 rows matched (79%)" in out.stdout
    assert "unmatched track" in out.stdout and "Hurt — Johnny Cash: artist not in the catalog" in out.stdout

    out = segue("profile", "import", str(DATA / "history.csv"), "--user", "alice", "--json", data_dir=cli_data_dir)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["matched_rows"] == 12 and len(report["unmatched"]) == 2

    out = segue("profile", "show", "--user", "alice", "--json", data_dir=cli_data_dir)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["most_played"][0] == {"track_id": SWEET_CHILD, "title": "Sweet Child O' Mine",
                                       "artist": "Guns N' Roses", "plays": 87}
    assert shown["tracks_played"] == 26 and shown["favourite_artists"][0] == "Guns N' Roses"
    assert [t["title"] for t in shown["disliked_tracks"]] == ["What's My Age Again?"]
    out = segue("profile", "show", data_dir=cli_data_dir)
    assert out.stdout.split() == ["alice"]

    bad = tmp_path / "bad.csv"
    bad.write_text("just,some,words\n")
    before = store_path(cli_data_dir).read_bytes()
    out = segue("profile", "import", str(bad), "--user", "alice", data_dir=cli_data_dir)
    assert out.returncode == 1 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "title and artist" in out.stderr
    assert store_path(cli_data_dir).read_bytes() == before

    store_path(cli_data_dir).write_bytes(b"garbage" * 100)
    out = segue("profile", "show", "--user", "alice", data_dir=cli_data_dir)
    assert out.returncode == 1 and "unreadable" in out.stderr and "Traceback" not in out.stderr
    assert store_path(cli_data_dir).read_bytes() == b"garbage" * 100


# ------------------------------------------------------------------------------------------ the titles eval


def test_titles_eval_runs_the_personalised_system_beside_segue(slice_catalog, slice_index, tmp_path):
    from evals.corpora import EvalDataError, hidden_titles_index, title_playlists
    from evals.systems import PersonalisedSegueRanker, SegueRanker
    from evals.titles import run_titles, title_queries
    from retrieval.settings import Settings

    evals = title_playlists(slice_catalog.playlists, "eval")[:3]
    playlists = evals + [p for p in slice_catalog.playlists if p not in evals][:5]
    keep = {t for p in playlists for t in p.track_ids}
    known = {text: slice_index.vectors[i] for i, text in enumerate(slice_index.texts)}
    base = ([t for t in slice_catalog.tracks if t.track_id in keep], playlists, known)
    settings = Settings(data_dir=tmp_path / "data", threads=TEST_THREADS)
    built = hidden_titles_index(settings, "eval", progress=False, base=base)

    payload = run_titles(settings, seeds=5, progress=False, built=built, personalised=True).payload
    systems = payload["systems"]
    assert {"segue", "segue_personalised", "bm25"} <= set(systems)
    for metric, gain in payload["personalisation_gain"].items():
        assert gain == pytest.approx(systems["segue_personalised"][metric] - systems["segue"][metric], abs=2e-4)
    with pytest.raises(EvalDataError, match="--seeds"):
        run_titles(settings, seeds=0, progress=False, built=built, personalised=True)

    # The personalised ranking leans towards the seeds' taste on the same query.
    index, queries = built[0], title_queries(built[1], 5)
    query = queries[0]
    plain, personal = SegueRanker(index).rank(query, 100), PersonalisedSegueRanker(index).rank(query, 100)
    taste = TasteProfile.from_liked(index, query.seed_track_ids).taste_scores()
    assert taste[[index.row[t] for t in personal]].mean() > taste[[index.row[t] for t in plain]].mean()
