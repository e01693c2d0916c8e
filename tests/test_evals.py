"""Fast slices of the offline eval suites on real data: small indexes, a few real CPCD dialogs, real requests."""

from __future__ import annotations

from collections import Counter
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.api import MusicAssistant
from evals.constraints import TYPES, generate_requests, run_constraints
from evals.corpora import (EvalDataError, hidden_titles_index, hide_labels, playlist_bucket, title_playlists,
                           train_folds)
from evals.cpcd import DEFAULT_DIALOGS, Dialog, dialog_queries, dialog_split, load_dialogs, run_cpcd
from evals.enrich import CatalogKnowledge, normalised_title
from evals.explanations import run_explanations
from evals.report import write_report
from evals.conversations import default_conversations, run_conversations
from evals.requests import artist_lookup, default_request_files, load_requests, named_artists, run_requests
from evals.systems import catalog_request_reader
from evals.titles import genre_oracles, run_titles, title_queries
from retrieval.catalog import Track
from retrieval.labels import ArtistLabels
from retrieval.settings import Settings, get_settings
from retrieval.text import track_text

SYSTEMS = {"segue", "bm25", "dense", "popularity", "random"}


def _ranking_schema(payload: dict, metrics: set[str]) -> None:
    assert set(payload["systems"]) == SYSTEMS
    for name, row in payload["systems"].items():
        assert metrics <= set(row), name
        assert all(0.0 <= row[m] <= 1.0 for m in metrics), (name, row)
    assert set(payload["segue_vs_bm25"]) == metrics


# ----------------------------------------------------------------------------------------- titles


@pytest.fixture(scope="module")
def titles_settings(tmp_path_factory) -> Settings:
    """One data dir for the titles tests, so the second builds from the first one's embedding cache."""
    return Settings(data_dir=tmp_path_factory.mktemp("titles"), threads=1)


def test_hidden_titles_index_hides_eval_playlists_and_their_labels(titles_base, titles_settings: Settings):
    settings = titles_settings
    tracks, playlists, _ = titles_base
    index, queries = hidden_titles_index(settings, "eval", progress=False, base=titles_base)
    hidden = {p.playlist_id for p in queries}
    assert queries and all(playlist_bucket(p.playlist_id) == 0 and len(p.track_ids) >= 10 for p in queries)
    assert not hidden & {p.playlist_id for p in index.playlists}
    assert len(index) == len(tracks)
    shown = {p.playlist_id for p in playlists} - hidden
    only_hidden = [tid for p in queries for tid in p.track_ids
                   if not any(tid in p2.track_ids for p2 in playlists if p2.playlist_id in shown)]
    assert only_hidden
    # A track left unlabelled takes its artist's labels, from the artist's tracks still labelled: never a
    # label that came only through a hidden playlist.
    stripped = hide_labels(tracks, playlists, hidden)
    artist_labels = ArtistLabels(stripped)
    stripped_by_id = {t.track_id: t for t in stripped}
    borrowed = 0
    for tid in only_hidden:
        t, before = index.tracks[index.row[tid]], stripped_by_id[tid]
        if before.genres or before.subgenres:  # labels no hidden playlist gave stay as they are
            assert (t.genres, t.subgenres) == (before.genres, before.subgenres)
        else:
            assert (t.genres, t.subgenres) == (artist_labels.of(t.artist) or ([], []))
            borrowed += bool(t.subgenres)
        assert index.texts[index.row[tid]] == track_text(t)
    assert 0 < borrowed < len(only_hidden)
    # The training split is every other playlist of 10+ tracks, dealt into stable folds.
    train = title_playlists(playlists, "train")
    assert not hidden & {p.playlist_id for p in train}
    folds = train_folds(playlists, 3)
    assert sorted(p.playlist_id for f in folds for p in f) == sorted(p.playlist_id for p in train)
    with pytest.raises(EvalDataError):
        title_playlists(playlists, "test")


def test_titles_suite_schema_and_cache(titles_base, titles_settings: Settings):
    settings = titles_settings
    hidden_titles_index(settings, "eval", progress=False, base=titles_base)
    assert (settings.data_dir / "cache").is_dir()
    built = hidden_titles_index(settings, "eval", progress=False, base=titles_base)
    assert built[0].embedder.embedded == 0  # every changed text came from the disk cache
    result = run_titles(settings, limit=5, progress=False, built=built)
    payload = result.payload
    assert payload["suite"] == "titles" and payload["n"] == min(5, len(built[1]))
    _ranking_schema(payload, {"r_precision", "ndcg@100", "recall@100", "hits@10"})
    seeded = run_titles(settings, seeds=5, limit=5, progress=False, built=built).payload
    assert seeded["suite"] == "titles-seeds5" and seeded["setup"]["seeds"] == 5
    _ranking_schema(seeded, {"r_precision", "ndcg@100", "recall@100", "hits@10"})


def test_genre_oracles_put_the_playlists_subgenre_first(titles_base, titles_settings: Settings):
    tracks, _, _ = titles_base
    index, playlists = hidden_titles_index(titles_settings, "eval", progress=False, base=titles_base)
    hidden_labels, title_genre = genre_oracles(index, playlists, tracks, catalog_request_reader(index))
    true = {t.track_id: set(t.subgenres) for t in tracks}
    for query in title_queries(playlists[:4]):
        subgenre = next(p.subgenre for p in playlists if p.playlist_id == query.qid)
        for oracle, labels in ((hidden_labels, lambda tid: true[tid]),
                               (title_genre, lambda tid: set(index.tracks[index.row[tid]].subgenres))):
            carrying = sum(subgenre in labels(t.track_id) for t in index.tracks)
            head = oracle.rank(query, 30)[:min(30, carrying)]
            assert head and all(subgenre in labels(tid) for tid in head), (oracle.name, query.text)
        # The suite hides the playlist's own labels: the index shows the subgenre on fewer tracks.
        shown = sum(subgenre in t.subgenres for t in index.tracks)
        assert shown < sum(subgenre in true[t.track_id] for t in index.tracks)
    payload = run_titles(titles_settings, limit=3, progress=False, built=(index, playlists), oracles=True,
                         base=titles_base).payload
    assert {"oracle_hidden_labels", "oracle_title_genre"} <= set(payload["systems"])
    assert "bounds, not systems" in payload["setup"]["oracles"]


# ----------------------------------------------------------------------------------------- CPCD


def _real_dialogs(n: int) -> list[dict]:
    with gzip.open(DEFAULT_DIALOGS, "rt", encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


@pytest.fixture(scope="module")
def cpcd_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cpcd")
    dialogs = _real_dialogs(3)
    plain = folder / "three.jsonl"
    plain.write_text("".join(json.dumps(d) + "\n" for d in dialogs))
    # The same dialogs with cluster ids, where every track of a dialog is one cluster: after the first
    # turn's likes become seeds, no gold is left, so every later turn is skipped.
    clustered = []
    for d in dialogs:
        d = json.loads(json.dumps(d))
        for rec in d["tracks"].values():
            rec["track_cluster_ids"] = f"c-{d['id']}"
        clustered.append(d)
    gz = folder / "three-clusters.jsonl.gz"
    gz.write_bytes(gzip.compress("".join(json.dumps(d) + "\n" for d in clustered).encode()))
    bad = folder / "bad.jsonl"
    bad.write_text('{"id": "x", "turns": []}\n')
    return {"plain": plain, "clusters": gz, "bad": bad}


def test_cpcd_protocol_queries_and_helpers(cpcd_files):
    dialogs, records = load_dialogs(cpcd_files["plain"])
    assert len(dialogs) == 3 and all(g in records for d in dialogs for g in d.goal)
    queries = dialog_queries(dialogs)
    assert len(queries) == sum(len(d.user_turns) for d in dialogs)
    for q in queries:
        d = next(d for d in dialogs if d.id == q.group)
        assert q.history == d.user_turns[:q.turn]
        assert q.seed_track_ids == [x for likes in d.liked[:q.turn] for x in likes[:3]]
    assert normalised_title("Hotel California (2013 Remaster)") == normalised_title("Hotel California - Live")
    assert {dialog_split(d.id) for d in load_dialogs(DEFAULT_DIALOGS)[0]} == {"fit", "holdout"}
    with pytest.raises(EvalDataError):
        load_dialogs(cpcd_files["bad"])
    with pytest.raises(EvalDataError):
        load_dialogs(cpcd_files["plain"].with_name("missing.jsonl"))


def test_catalog_knowledge_enriches_by_artist_and_song():
    catalog = [
        Track(track_id="a1", title="Hotel California - 2013 Remaster", artist="Eagles", year=1976, popularity=80,
              genres=["rock"], subgenres=["classic rock"], energy=0.5),
        Track(track_id="a2", title="Take It Easy", artist="Eagles", year=1972, popularity=60, genres=["rock"],
              subgenres=["album rock"]),
        Track(track_id="a3", title="Desperado", artist="Eagles", year=1973, popularity=50, genres=["rock", "pop"],
              subgenres=["classic rock"]),
        Track(track_id="b1", title="Hey Ya!", artist="OutKast", year=2003, popularity=75, genres=["rap"],
              subgenres=["hip hop"]),
    ]
    knowledge = CatalogKnowledge(catalog)
    song = knowledge.enrich(Track(track_id="y1", title="Hotel California (Live)", artist="The Eagles"), ["eagles"])
    assert (song.year, song.popularity, song.energy) == (1976, 80, 0.5)
    assert song.genres == ["rock", "pop"] and song.subgenres[0] == "classic rock"  # the artist's most frequent first
    other = knowledge.enrich(Track(track_id="y2", title="Lyin' Eyes", artist="Eagles"), ["Eagles"])
    assert other.year is None and other.popularity == 60  # no song match: the artist's median popularity
    assert other.subgenres[0] == "classic rock"
    # The first artist the catalog knows decides; an unknown one changes nothing.
    duet = knowledge.enrich(Track(track_id="y3", title="Hey Ya!", artist="Nobody, OutKast"), ["Nobody", "OutKast"])
    assert duet.year == 2003 and duet.genres == ["rap"]
    unknown = Track(track_id="y4", title="Song", artist="Nobody")
    assert knowledge.enrich(unknown, ["Nobody"]) == unknown
    assert knowledge.coverage.model_dump() == {"tracks": 4, "artist_known": 3, "song_known": 2}


def test_cpcd_suite_with_and_without_cluster_ids(cpcd_files, settings: Settings, tmp_path: Path):
    plain = run_cpcd(settings, cpcd_files["plain"], limit=3, progress=False)
    payload = plain.payload
    assert payload["suite"] == "cpcd" and payload["dialogs"] == 3
    assert payload["setup"]["clusters"] == "normalised title + first artist"
    _ranking_schema(payload, {"hits@1", "hits@10", "hits@100", "mrr@10", "recall@100"})
    assert payload["n"] + payload["setup"]["turns_skipped"] == sum(
        len(d.user_turns) for d in load_dialogs(cpcd_files["plain"])[0])
    assert payload["published"]["systems"]["bm25"]["hits@10"] == pytest.approx(0.2189)
    assert "106,736" in payload["published"]["corpus"]
    assert payload["by_turn"]["segue"]["hits@10"]
    knowledge = payload["setup"]["catalog_knowledge"]
    assert 0 < knowledge["song_known"] < knowledge["artist_known"] < 1  # real dialogs name catalog artists

    clustered = run_cpcd(settings, cpcd_files["clusters"], limit=3, progress=False).payload
    assert clustered["setup"]["clusters"] == "file cluster ids"
    assert clustered["n"] < payload["n"]  # one cluster per dialog: the first likes use up all the gold
    # Three clusters in all, every one ranked: each system finds the single gold cluster within 100.
    assert all(row["recall@100"] == 1.0 for row in clustered["systems"].values())

    report = write_report([plain], tmp_path / "report")
    assert "## cpcd" in report.read_text() and "paper bm25" in report.read_text()
    assert (tmp_path / "report" / "cpcd-systems.png").stat().st_size > 1000
    assert (tmp_path / "report" / "cpcd-by-turn.png").exists() and (tmp_path / "report" / "cpcd.json").exists()


def test_cli_cpcd_json(cpcd_files, settings: Settings, monkeypatch):
    from assistant.cli import app

    monkeypatch.setenv("SEGUE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["eval", "cpcd", "--dialogs", str(cpcd_files["plain"]), "--limit", "2", "--json"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["suite"] == "cpcd" and payload["dialogs"] == 2 and set(payload["systems"]) == SYSTEMS
    bad = CliRunner().invoke(app, ["eval", "cpcd", "--dialogs", str(cpcd_files["bad"])])
    assert bad.exit_code != 0


# ----------------------------------------------------------------------------------------- assistant suites


@pytest.fixture(scope="module")
def slice_assistant(slice_index, tmp_path_factory) -> MusicAssistant:
    data = tmp_path_factory.mktemp("assistant")
    return MusicAssistant(Settings(data_dir=data, threads=1, llm_threads=1), index=slice_index)


def test_constraints_suite(slice_assistant):
    requests = generate_requests(slice_assistant.index, 20, seed=3)
    assert [r.text for r in requests] == [r.text for r in generate_requests(slice_assistant.index, 20, seed=3)]
    payload = run_constraints(slice_assistant, n=20, seed=3, progress=False).payload
    assert payload["n"] == 20 and payload["invented_tracks"] == 0 and payload["exceptions"] == 0
    assert payload["duplicates"] == 0
    assert payload["satisfaction"] and set(payload["satisfaction"]) <= {t.replace("feature:", "") for t in TYPES}
    assert all(0.0 <= v <= 1.0 for v in payload["satisfaction"].values())
    assert payload["satisfaction"]["n_tracks"] > 0.5


def test_conversations_suite(slice_assistant):
    """Real CPCD dialogs through the chat, and one made up to know the answer: praise keeps the playlist, a
    request for another playlist starts one."""
    dialogs = default_conversations(limit=5)
    payload = run_conversations(slice_assistant, dialogs, progress=False).payload
    assert payload["turns"] == sum(len(d.user_turns) for d in dialogs) and payload["exceptions"] == 0
    assert sum(payload["later_turn_actions"].values()) == payload["later_turns"] > 0
    assert 0 <= payload["new_playlist_share"] <= 1 and 0 < payload["p50_ms"] <= payload["p95_ms"]
    known = Dialog(id="x", user_turns=["energetic rock", "Yes, perfect!!", "now make me a new playlist of calm pop"],
                   liked=[[], [], []], goal=[])
    made = run_conversations(slice_assistant, [known], progress=False).payload
    assert (made["later_turns"], made["new_playlist_share"], made["later_turn_actions"]) == (2, 0.5, {"thanks": 1,
                                                                                                     "new": 1})
    assert made["unchanged_edits"] == {}
    # a refinement the rock playlist already meets leaves every track: counted; asking for more adds tracks
    met = Dialog(id="y", user_turns=["energetic rock", "rock please", "please more rock"], liked=[[], [], []],
                 goal=[])
    assert run_conversations(slice_assistant, [met], progress=False).payload["unchanged_edits"] == {"refine": 1}
    # an artist named for the playlist is counted, and found among the tracks added (their own, outside rock)
    rock = {t.artist for t in slice_assistant.index.tracks if "rock" in t.genres}
    counts = Counter(t.artist for t in slice_assistant.index.tracks if t.artist not in rock)
    artist = next(a for a, n in counts.most_common() if n >= 3 and len(a) > 4 and a.isascii() and " " not in a)
    asked = Dialog(id="z", user_turns=["energetic rock", f"can I get some {artist}?"], liked=[[], []], goal=[])
    named = run_conversations(slice_assistant, [asked], progress=False).payload
    assert (named["named_artist_turns"], named["named_artist_added"]) == (1, 1.0)
    # two artists, one of whom fits the playlist: every one of them is found among the tracks added
    playing = {t.artist for t in slice_assistant.start_chat(use_llm=False).send("energetic rock").playlist.tracks}
    fits = Counter(t.artist for t in slice_assistant.index.tracks if t.artist in rock and t.artist not in playing)
    rocker = next(a for a, n in fits.most_common() if n >= 3 and len(a) > 4 and a.isascii() and " " not in a)
    both = Dialog(id="w", user_turns=["energetic rock", f"can I get some {rocker} and {artist}?"], liked=[[], []],
                  goal=[])
    named = run_conversations(slice_assistant, [both], progress=False).payload
    assert (named["named_artist_turns"], named["named_artist_all_added"]) == (1, 1.0)


def test_requests_suite(slice_assistant):
    requests = load_requests(default_request_files())
    assert len(requests) == 1200 and requests[0].startswith("I love Radiohead")
    payload = run_requests(slice_assistant, requests[:20], progress=False).payload
    assert payload["n"] == 20 and payload["exceptions"] == 0 and payload["answered"] == 1.0
    assert 0 < payload["p50_ms"] <= payload["p95_ms"]
    # No catalog track is from the 1920s: that playlist had to give up its years, and the payload says so.
    relaxed = run_requests(slice_assistant, ["Music for a 1920s party", requests[0]], progress=False).payload
    assert relaxed["relaxations"].get("year") == 1
    assert (relaxed["subject_requests"], relaxed["subject_in_titles"]) == (0, None)
    assert (relaxed["others_only_requests"], relaxed["others_only_kept_out"]) == (0, None)
    artist = Counter(t.artist for t in slice_assistant.index.tracks if t.artist.isascii()
                     and len(t.artist) > 8).most_common(1)[0][0]
    others = run_requests(slice_assistant, [f"bands like {artist}", f"songs like {artist}"], progress=False).payload
    assert (others["others_only_requests"], others["others_only_kept_out"]) == (1, 1.0)
    assert (others["named_artist_requests"], others["named_artist_in_playlist"]) == (1, 1.0)
    # the real requests that ask for songs about something: how many of their playlists' titles say it
    subjects = [r for r in requests if r in ("Songs about losing a friend", "Music About Working Hard")]
    about = run_requests(slice_assistant, [*subjects, requests[0]], progress=False).payload
    assert about["subject_requests"] == 2 and 0.5 <= about["subject_in_titles"] <= 1.0
    told_requests = ["jazz for dinner", "Songs like Gnaw by Alex G", "Help me find music like this",
                     "smooth jazz like this", "upbeat rock", "Zero 7 - In The Waiting Line", "songs like Nujabes",
                     "rock with female vocals"]
    told = run_requests(slice_assistant, told_requests, progress=False).payload
    assert told["told_the_catalog_lacks"] == {"absent_genre": 2, "unknown_artist": 1, "unknown_song": 1,
                                              "unknown_artist_or_song": 1, "unseen_reference": 2, "unknown_singer": 1}
    lookup = artist_lookup(slice_assistant.index, lambda name: False)
    name = slice_assistant.index.tracks[0].artist
    assert named_artists(f"something like {name}'s songs", lookup)


def test_explanations_suite(slice_assistant):
    requests = load_requests(default_request_files())[:2]
    metadata_only = run_explanations(slice_assistant, None, requests, tracks=3, progress=False).payload
    assert metadata_only["sentences"] == 0 and metadata_only["shown_sentences"] > 0
    assert metadata_only["ungrounded_after"] == 0.0

    from assistant.llm import create_llm

    llm = create_llm(slice_assistant.settings)
    payload = run_explanations(slice_assistant, llm, requests[:1], tracks=2, progress=False).payload
    assert payload["n"] == 1 and payload["sentences"] >= 1
    assert payload["ungrounded_after"] == 0.0
    assert set(payload) >= {"sentences", "ungrounded_before", "ungrounded_after"}
