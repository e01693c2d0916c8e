"""The public API (`from assistant import MusicAssistant`), the `segue playlist` command and the playlist bench."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import MusicAssistant, Playlist, PlaylistSpec
from assistant.bench import bench_playlist
from assistant.builder import violations
from assistant.errors import EmptyRequestError, InvalidOverrideError, RequestTooLongError
from retrieval.catalog import AUDIO_FEATURES
from retrieval.settings import Settings
from tests.conftest import TEST_THREADS, write_catalog_slice

ROOT = Path(__file__).resolve().parents[1]
SEGUE = str(Path(sys.executable).with_name("segue"))


@pytest.fixture(scope="module")
def assistant(slice_index, tmp_path_factory) -> MusicAssistant:
    data = tmp_path_factory.mktemp("api") / "data"
    return MusicAssistant(Settings(data_dir=data, threads=TEST_THREADS, max_message_chars=300, max_tracks=40),
                          index=slice_index)


def test_generate_playlist_returns_grounded_catalog_tracks(assistant, slice_index):
    playlist = assistant.generate_playlist("upbeat dance pop for a party")
    assert isinstance(playlist, Playlist) and isinstance(playlist.spec, PlaylistSpec)
    assert playlist.title and playlist.description and len(playlist.tracks) == 15
    for t in playlist.tracks:
        assert slice_index.tracks[slice_index.row[t.track_id]] == t
        for name in ("track_id", "title", "artist", "album", "year", "duration_ms", "popularity", "genres",
                     *AUDIO_FEATURES):
            assert hasattr(t, name)
        assert playlist.reasons[t.track_id]
    assert violations(playlist, playlist.spec, slice_index) == []


def test_overrides_win_over_the_request(assistant, slice_index):
    playlist = assistant.generate_playlist("20 rock songs", n_tracks=7, year_min=1980, year_max=1999,
                                           ordering="rising", features={"energy": {"min": 0.5}})
    assert playlist.spec.n_tracks == 7 and len(playlist.tracks) == 7
    assert playlist.spec.year_min == 1980 and playlist.spec.ordering == "rising"
    assert violations(playlist, playlist.spec, slice_index) == []
    energies = [t.energy for t in playlist.tracks]
    assert energies == sorted(energies)
    by_minutes = assistant.generate_playlist("20 rock songs", minutes=25)
    assert by_minutes.spec.n_tracks is None and by_minutes.spec.minutes == 25
    assert abs(by_minutes.total_ms - 25 * 60_000) <= max(t.duration_ms for t in by_minutes.tracks)


def test_a_genre_the_catalog_lacks_is_said_not_faked(assistant):
    """The catalog files nothing under jazz: the listener is told, and the playlist still comes."""
    jazz = assistant.generate_playlist("jazz for dinner")
    assert jazz.tracks and any("no tracks under jazz" in n for n in jazz.notices)
    assert not any("jazz" in n for n in assistant.generate_playlist("rock, no jazz").notices)
    assert not any("no tracks under" in n for n in assistant.generate_playlist("metal and techno").notices)
    # who sings is not in the catalog either: said (it built men's rap for "female rappers" unsaid)
    assert "the catalog does not say whether a woman or a man sings: the playlist follows the request's other " \
           "words" in assistant.generate_playlist("female rappers").notices
    assert not any("woman" in n for n in assistant.generate_playlist("songs about a woman").notices)
    spec, notices = assistant.read_request("classical or k-pop")
    assert notices == ["the catalog files no tracks under classical or k-pop: the playlist follows the request's "
                       "other words and titles that say classical"] and spec == assistant.understand(
        "classical or k-pop")


def test_track_count_is_capped_by_settings(assistant):
    playlist = assistant.generate_playlist("chill acoustic evening", n_tracks=500)
    assert len(playlist.tracks) == 40 and playlist.spec.n_tracks == 40
    assert any("at most 40 tracks" in n for n in playlist.notices)


@pytest.mark.parametrize("request_text, error, words", [
    ("", EmptyRequestError, "empty"),
    ("   \n\t ", EmptyRequestError, "empty"),
    ("rock " * 100, RequestTooLongError, "500 characters, more than the limit of 300"),
])
def test_bad_requests_are_refused_clearly(assistant, request_text, error, words):
    with pytest.raises(error) as caught:
        assistant.generate_playlist(request_text)
    assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("overrides, words", [
    ({"tracks": 5}, "unknown playlist option tracks"),
    ({"ordering": "sideways"}, "invalid playlist option ordering"),
    ({"year_min": 1990, "year_max": 1980}, "year range 1990-1980 is empty"),
])
def test_bad_overrides_are_refused_clearly(assistant, overrides, words):
    with pytest.raises(InvalidOverrideError) as caught:
        assistant.generate_playlist("rock", **overrides)
    assert words in str(caught.value)


def test_import_assistant_loads_no_model(tmp_path):
    code = ("import sys; from assistant import MusicAssistant, Playlist, PlaylistSpec; MusicAssistant(); "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules]; "
            "assert not heavy, heavy")
    env = {**os.environ, "SEGUE_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, timeout=120)


def test_bench_playlist_reports_latency(assistant, slice_index):
    result = bench_playlist(n=12, progress=False, assistant=assistant)
    assert result["n"] + result["refused"] == 12 and result["generated_requests"] == 4
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert result["catalog_tracks"] == len(slice_index)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """A data dir with a small real index (the first 300 catalog rows) for the CLI in a subprocess."""
    from retrieval.ingest import ingest

    tmp = tmp_path_factory.mktemp("cli")
    catalog = write_catalog_slice(tmp / "small.csv", max_rows=300)
    settings = Settings(data_dir=tmp / "data", threads=TEST_THREADS, chroma_url=None)
    ingest(settings, catalog, progress=False)
    return {**os.environ, "SEGUE_DATA_DIR": str(settings.data_dir), "SEGUE_THREADS": str(TEST_THREADS),
            "SEGUE_CHROMA_URL": ""}


def run_segue(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SEGUE, *args], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


def test_cli_playlist_json_and_table(cli_env):
    done = run_segue(cli_env, "playlist", "energetic pop songs", "-n", "6", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["tracks"]) == 6 and data["spec"]["n_tracks"] == 6 and isinstance(data["relaxed"], list)
    for t in data["tracks"]:
        assert {"track_id", "title", "artist", "year", "duration_ms"} <= t.keys()
    done = run_segue(cli_env, "playlist", "energetic pop songs", "--minutes", "20")
    assert done.returncode == 0, done.stderr
    assert " 1 " in done.stdout and "BPM" in done.stdout and "energy" in done.stdout


def test_cli_playlist_errors_are_one_line(cli_env):
    done = run_segue(cli_env, "playlist", "   ")
    assert done.returncode == 1 and done.stderr.startswith("error: the request is empty")
    assert "Traceback" not in done.stderr


@pytest.mark.server
def test_a_served_llm_proposes_spec_fields_that_are_validated(slice_index, llm_server_url, tmp_path):
    """With SEGUE_LLM_URL set, `generate_playlist` asks that server for the spec (the embedded model never is),
    and whatever it proposes is checked against the catalog before a track is chosen."""
    settings = Settings(data_dir=tmp_path / "data", llm_url=llm_server_url, llm_timeout=120, threads=TEST_THREADS)
    served = MusicAssistant(settings, index=slice_index)
    assert served._spec_llm() is not None and served._spec_llm().backend == "openai"
    assert MusicAssistant(Settings(data_dir=tmp_path / "x"), index=slice_index)._spec_llm() is None
    playlist = served.generate_playlist("some mellow songs for a long drive", n_tracks=6)
    assert len(playlist.tracks) == 6 and all(t.track_id in slice_index.row for t in playlist.tracks)
    assert set(playlist.spec.genres) <= set(slice_index.labels)
    assert violations(playlist, playlist.spec, slice_index) == []
