"""Property tests (Hypothesis) for what the other suites leave out.

Already covered elsewhere: any text gives a valid spec from the parser (tests/test_understand.py), and
generated valid specs give playlists that keep every unrelaxed constraint (tests/test_builder.py). Here:
spec validation on arbitrary data, the parser and the builder together (any text -> a playlist that keeps
its own spec), caller overrides, and whole conversations of arbitrary messages.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st
from pydantic import ValidationError

from assistant.api import MusicAssistant
from assistant.builder import violations
from assistant.errors import RequestError
from assistant.spec import FEATURE_NAMES, MAX_MINUTES, MAX_TRACKS, PlaylistSpec
from retrieval.errors import SegueError
from retrieval.filters import filter_mask
from retrieval.index import TrackIndex
from retrieval.settings import Settings
from tests.conftest import TEST_THREADS

PROPERTY = hsettings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])


def examples(n: int) -> hsettings:
    return hsettings(PROPERTY, max_examples=n)
NUMBERS = (st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([0, 1, 0.5, 1900, 1980, 2100, 100, 101, 600, 601, -1, 1e-9, 250]))
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=12)
ANY_VALUE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                                             inner, max_size=3),
                         max_leaves=6)
WORDS = ["rock", "pop", "Rap", " latin ", "edm", "r&b", "hip hop", "Electric Slinky", "", "  ", "ROCK", "<b>x</b>",
         "Queen", "Drake", "x" * 300]


BOUNDS = st.none() | st.sampled_from([math.nan, math.inf, -math.inf, 0, 0.5, 1, -1, 2, 250, 1e308]) | NUMBERS


def ranges() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({}, optional={"min": BOUNDS, "max": BOUNDS}) | ANY_VALUE


SPEC_DATA = st.fixed_dictionaries({}, optional={
    "description": st.text(max_size=50) | st.just("y" * 2001) | ANY_VALUE,
    "seed_artists": st.lists(st.sampled_from(WORDS), max_size=3) | ANY_VALUE,
    "genres": st.lists(st.sampled_from(WORDS) | st.text(max_size=10), max_size=4) | ANY_VALUE,
    "exclude_genres": st.lists(st.sampled_from(WORDS), max_size=3),
    "year_min": NUMBERS | ANY_VALUE,
    "year_max": NUMBERS,
    "features": st.dictionaries(st.sampled_from([*FEATURE_NAMES, "loudness", "mood", ""]), ranges(), max_size=3)
    | ANY_VALUE,
    "n_tracks": NUMBERS | ANY_VALUE,
    "minutes": NUMBERS,
    "exclude_artists": st.lists(st.sampled_from(WORDS), max_size=3),
    "max_per_artist": NUMBERS,
    "popularity": st.sampled_from(["any", "hits", "deep_cuts", "HITS", "", "popular"]) | ANY_VALUE,
    "ordering": st.sampled_from(["retrieved", "rising", "falling", "arc", "smooth", "shuffle"]),
    "allow_remixes": ANY_VALUE,
    "unknown_field": ANY_VALUE,
})


def check_invariants(spec: PlaylistSpec) -> None:
    """What every valid spec guarantees to the builder."""
    assert PlaylistSpec.model_validate(spec.model_dump()) == spec
    assert PlaylistSpec.model_validate_json(spec.model_dump_json()) == spec
    assert spec.n_tracks is None or 1 <= spec.n_tracks <= MAX_TRACKS
    assert spec.minutes is None or 0 < spec.minutes <= MAX_MINUTES
    assert spec.max_per_artist is None or spec.max_per_artist >= 1
    years = [y for y in (spec.year_min, spec.year_max) if y is not None]
    assert all(1900 <= y <= 2100 for y in years) and years == sorted(years)
    for name, r in spec.features.items():
        assert name in FEATURE_NAMES
        bounds = [b for b in (r.min, r.max) if b is not None]
        assert all(math.isfinite(b) for b in bounds) and bounds == sorted(bounds), (name, r)
    for labels in (spec.genres, spec.exclude_genres):
        assert labels == list(dict.fromkeys(labels)) and all(g == g.strip().lower() and g for g in labels)


@examples(1500)
@given(data=SPEC_DATA)
def test_spec_validation_accepts_only_sound_specs(data: dict[str, Any]) -> None:
    try:
        spec = PlaylistSpec.model_validate(data)
    except ValidationError:
        return
    check_invariants(spec)


@examples(300)
@given(data=SPEC_DATA)
def test_a_valid_spec_filters_exactly(slice_index: TrackIndex, data: dict[str, Any]) -> None:
    try:
        spec = PlaylistSpec.model_validate(data)
    except ValidationError:
        return
    mask = filter_mask(slice_index, spec.track_filter())
    assert mask.dtype == np.bool_ and mask.shape == (len(slice_index),)
    for row in np.flatnonzero(mask)[:50]:
        t = slice_index.tracks[row]
        assert all(r.contains(getattr(t, name)) for name, r in spec.features.items())
        assert spec.year_min is None or (t.year is not None and t.year >= spec.year_min)
        assert spec.year_max is None or (t.year is not None and t.year <= spec.year_max)


# --------------------------------------------------------------------------------------- the assistant


@pytest.fixture(scope="module")
def assistant(slice_index: TrackIndex, tmp_path_factory: pytest.TempPathFactory) -> MusicAssistant:
    settings = Settings(data_dir=tmp_path_factory.mktemp("prop") / "data", threads=TEST_THREADS, chroma_url=None,
                        max_message_chars=300, max_tracks=30)
    return MusicAssistant(settings, index=slice_index)


def check_playlist(playlist, index: TrackIndex, max_tracks: int) -> None:
    assert violations(playlist, playlist.spec, index, max_tracks) == []
    assert 0 < len(playlist.tracks) <= max_tracks
    assert set(playlist.reasons) == set(playlist.track_ids())


REQUEST_WORDS = ["like", "by", "no", "not", "without", "only", "80s", "1995", "from", "to", "ccr", "Queen", "rap", "rock",
                 "latin", "edm", "chill", "upbeat", "sad", "fast", "slow", "acoustic", "instrumental", "hits",
                 "deep cuts", "20", "3", "500", "songs", "minutes", "hours", "an hour", "max", "per", "artist", "bpm",
                 "120", "-", ",", "'", '"', "remix", "party", "arc", "build up", "the weeknd", "Drake", "danceable",
                 "energy", "above", "below", "0.7", "🔥", "<b>", "\x00", "\u202e"]
REQUESTS = st.text(max_size=120) | st.lists(st.sampled_from(REQUEST_WORDS), min_size=1, max_size=14).map(" ".join)


@examples(200)
@given(request=REQUESTS)
def test_any_request_gives_a_playlist_that_keeps_its_own_spec(assistant: MusicAssistant, request: str) -> None:
    """The parser and the builder together: whatever the text says, the playlist meets the spec it was read as
    (except what it reports as relaxed), or the request is refused with a one-line reason."""
    try:
        playlist = assistant.generate_playlist(request)
    except RequestError as exc:
        assert "\n" not in str(exc) and (not request.strip() or len(request) > 300)
        return
    check_playlist(playlist, assistant.index, assistant.max_tracks)


OVERRIDES = st.fixed_dictionaries({}, optional={
    "n_tracks": NUMBERS, "minutes": NUMBERS, "year_min": NUMBERS, "year_max": NUMBERS,
    "features": st.dictionaries(st.sampled_from(FEATURE_NAMES), ranges(), max_size=2),
    "max_per_artist": NUMBERS, "popularity": st.sampled_from(["hits", "deep_cuts", "x"]),
    "genres": st.lists(st.sampled_from(WORDS), max_size=2), "ordering": st.sampled_from(["arc", "smooth", "x"]),
    "bogus": ANY_VALUE,
})


@examples(150)
@given(overrides=OVERRIDES)
def test_any_overrides_give_a_sound_playlist_or_a_clear_refusal(assistant: MusicAssistant,
                                                                overrides: dict[str, Any]) -> None:
    try:
        playlist = assistant.generate_playlist("songs for the evening", **overrides)
    except RequestError as exc:
        assert "\n" not in str(exc) and "playlist option" in str(exc)
        return
    check_invariants(playlist.spec)
    check_playlist(playlist, assistant.index, assistant.max_tracks)


# --------------------------------------------------------------------------------------- conversations

FOLLOW_UPS = ["more upbeat", "calmer", "faster", "make it 8 tracks", "make it 40 minutes", "make it 500 tracks",
              "add 3 more like track 2", "remove track 1", "remove the last two songs", "swap 1 and 3",
              "move track 2 to the end", "no rap", "only 90s", "only hits", "no more than one song per artist",
              "why is track 2 here?", "what's the tempo of track 9?", "undo", "undo", "start over", "shuffle",
              "smooth transitions", "longer", "shorter", "latin party mix", "more like Queen", "track 99",
              "remove track 0", "swap 1 and 1", ""]
MESSAGES = st.sampled_from(FOLLOW_UPS) | REQUESTS


@examples(40)
@given(first=REQUESTS, messages=st.lists(MESSAGES, min_size=1, max_size=6))
@example(first="", messages=["more upbeat", "120MIN"])  # minutes beyond the track limit once went unreported
def test_any_conversation_keeps_every_playlist_sound(assistant: MusicAssistant, first: str,
                                                     messages: list[str]) -> None:
    """Arbitrary messages in one chat: every reply has text, every playlist shown keeps its spec, and undo
    restores the previous playlist exactly."""
    chat = assistant.start_chat(use_llm=False)
    for message in [first, *messages]:
        history = [p.track_ids() if p else None for p in chat.history]
        try:
            reply = chat.send(message)
        except SegueError as exc:  # expected failures only, each one line
            assert "\n" not in str(exc)
            continue
        assert reply.text.strip()
        if reply.playlist is not None and reply.playlist.tracks:  # removing every track may empty it
            check_playlist(reply.playlist, assistant.index, assistant.max_tracks)
        if message == "undo" and len(history) >= 2:
            assert (chat.playlist.track_ids() if chat.playlist else None) == history[-2]
