"""Hybrid retrieval signals: the era fit, the seed signals, and the eval ranker's reading of turns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evals.systems import EvalQuery, SegueRanker, catalog_request_reader
from retrieval.catalog import Track
from retrieval.hybrid import (
    ARTIST_SEEDS,
    CONVERSATION_WEIGHTS,
    HybridConfig,
    HybridSearcher,
    SearchQuery,
    artist_level,
    popularity_rank_in_artist,
    rank_in_artist,
    standardise,
    year_fit,
)
from retrieval.index import TrackIndex
from retrieval.seeds import SeedTables, seed_signals


def test_year_fit_is_minus_the_years_outside_the_range() -> None:
    years = np.array([1985.0, 1990.0, 1995.0, 1999.0, 2004.0, np.nan])
    fit = year_fit(years, 1990, 1999)
    assert fit[:5].tolist() == [-5.0, 0.0, 0.0, 0.0, -5.0]
    assert fit[5] == 0.0  # the median miss of the known years (-5, 0, 0, 0, -5)


def test_year_fit_with_an_open_end() -> None:
    years = np.array([1970.0, 2000.0, 2010.0])
    assert year_fit(years, 2005, None).tolist() == [-35.0, -5.0, 0.0]
    assert year_fit(years, None, 1980).tolist() == [0.0, -20.0, -30.0]


@given(st.lists(st.integers(1950, 2025), min_size=1, max_size=40), st.integers(1950, 2025), st.integers(0, 30))
def test_year_fit_is_zero_exactly_inside_the_range(years: list[int], low: int, width: int) -> None:
    values = np.array(years, dtype=np.float64)
    fit = year_fit(values, low, low + width)
    inside = (values >= low) & (values <= low + width)
    assert np.all(fit[inside] == 0) and np.all(fit[~inside] < 0)


def _index(tracks: list[Track]) -> TrackIndex:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(tracks), 8)).astype(np.float32)
    return TrackIndex(tracks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def test_ranks_and_levels_within_an_artist() -> None:
    # Ann: rows 0, 2, 3; Bob: rows 1, 4.
    tracks = [Track(track_id=f"t{i}", title=f"Song {i}", artist=a, popularity=p)
              for i, (a, p) in enumerate([("Ann", 10), ("Bob", None), ("Ann", 30), ("Ann", 20), ("Bob", 5)])]
    index = _index(tracks)
    scores = np.array([1.0, 5.0, 3.0, 2.0, 4.0])
    assert rank_in_artist(index, scores).tolist() == [2, 0, 0, 1, 1]
    assert artist_level(index, scores, 2).tolist() == [2.5, 4.5, 2.5, 2.5, 4.5]  # mean of the 2 best per artist
    hits = popularity_rank_in_artist(index)
    assert hits is not None
    assert hits[[2, 3, 0, 4]] == pytest.approx(-np.log1p([0, 1, 2, 0]))  # each artist's most popular first
    assert hits[1] == pytest.approx(np.median(-np.log1p([0, 1, 2, 0])))  # no popularity: the median
    assert popularity_rank_in_artist(_index([Track(track_id="x", title="X", artist="Y")])) is None


def test_seed_signals_mark_album_and_artist_and_skip_unknown_data() -> None:
    tracks = [Track(track_id="a1", title="One", artist="Ann", album="First", album_id="alb1"),
              Track(track_id="a2", title="Two", artist="Ann", album="First", album_id="alb1"),
              Track(track_id="a3", title="Three", artist="Ann", album="Second", album_id="alb2"),
              Track(track_id="b1", title="Four", artist="Bob", album="Other", album_id="alb3")]
    index = _index(tracks)
    signals = seed_signals(index, SeedTables(index), [0])
    assert signals["seed_album"].tolist() == [1, 1, 0, 0]
    assert signals["seed_artist"].tolist() == [1, 1, 1, 0]
    # No year, popularity, audio features or playlists in this index: those signals are absent, not invented.
    assert not {"seed_year", "seed_popularity", "seed_sound", "seed_cooccurrence"} & set(signals)
    assert seed_signals(index, SeedTables(index), []) == {}


def test_seed_year_and_popularity_prefer_the_seeds_values() -> None:
    tracks = [Track(track_id=f"t{i}", title=f"Song {i}", artist=f"Artist {i}", year=year, popularity=pop)
              for i, (year, pop) in enumerate([(1990, 80), (1992, 70), (1991, 75), (2015, 10), (2020, 20)])]
    index = _index(tracks)
    signals = seed_signals(index, SeedTables(index), [0, 1])
    assert int(np.argmax(signals["seed_year"])) == 2  # 1991 is the seeds' mean year
    assert int(np.argmax(signals["seed_popularity"])) == 2  # so is popularity 75
    assert signals["seed_year"][4] < signals["seed_year"][3] < signals["seed_year"][2]


def test_seeds_from_a_playlist_retrieve_more_of_it(slice_index: TrackIndex) -> None:
    """Five tracks of a real playlist as seeds: its other tracks fill the top 50 far more often than by chance."""
    searcher = HybridSearcher(slice_index)
    playlist = max(slice_index.playlists, key=lambda p: len(p.track_ids))
    seeds, rest = playlist.track_ids[:5], set(playlist.track_ids[5:])
    hits = searcher.search(SearchQuery(seed_track_ids=seeds), k=50)
    found = sum(slice_index.tracks[row].track_id in rest for row, _ in hits)
    by_chance = 50 * len(rest) / len(slice_index)
    assert found >= 5 * by_chance
    assert not {slice_index.tracks[row].track_id for row, _ in hits} & set(seeds)


def test_a_named_artist_without_seed_songs_lends_its_best_known_tracks_as_seeds(slice_index: TrackIndex) -> None:
    """"like <artist>": the artist's most popular tracks stand in for seeds, so the artists it shares playlists
    with come up (not whatever matches the request's words); real seed songs, when given, take precedence."""
    searcher = HybridSearcher(slice_index)
    counts = np.bincount(slice_index.artist)
    artist = int(np.argmax(counts))
    name = slice_index.artist_names[artist]
    rows = np.flatnonzero(slice_index.artist == artist)
    best = sorted(rows, key=lambda r: -np.nan_to_num(slice_index.popularity[r], nan=-1.0))[:ARTIST_SEEDS]
    assert counts[artist] > ARTIST_SEEDS and sorted(searcher.artist_seeds([artist])) == sorted(best)
    signals = searcher.signals(SearchQuery(seed_artists=[name]))
    expected = seed_signals(slice_index, searcher.seed_tables, sorted(best))
    assert set(expected) <= set(signals)
    for key, values in expected.items():
        assert np.allclose(signals[key], standardise(values)), key
    seed_song = slice_index.tracks[int(rows[-1])].track_id
    given_seed = searcher.signals(SearchQuery(seed_artists=[name], seed_track_ids=[seed_song]))
    own = seed_signals(slice_index, searcher.seed_tables, [int(rows[-1])])
    assert np.allclose(given_seed["seed_dense"], standardise(own["seed_dense"]))

    company = {int(slice_index.artist[slice_index.row[t]]) for p in slice_index.playlists
               if any(slice_index.row.get(t) in set(rows.tolist()) for t in p.track_ids)
               for t in p.track_ids if t in slice_index.row} - {artist}

    def in_company(query: SearchQuery) -> int:
        hits = [row for row, _ in searcher.search(query, k=80) if slice_index.artist[row] != artist][:40]
        return sum(int(slice_index.artist[row]) in company for row in hits)

    assert in_company(SearchQuery(text="songs", seed_artists=[name])) > in_company(SearchQuery(text="songs"))


def test_an_era_in_the_query_moves_tracks_of_that_era_up(slice_index: TrackIndex) -> None:
    searcher = HybridSearcher(slice_index)
    plain = searcher.search(SearchQuery(text="dance hits"), k=50)
    era = searcher.search(SearchQuery(text="dance hits", year_min=1990, year_max=1999), k=50)

    def in_90s(hits: list[tuple[int, float]]) -> int:
        return sum(1990 <= (slice_index.year[row] or 0) <= 1999 for row, _ in hits)

    assert in_90s(era) > in_90s(plain)


def test_the_eval_ranker_reads_artists_and_the_latest_era_from_the_turns(slice_index: TrackIndex) -> None:
    artist = next(a for a in slice_index.artist_names if len(a) > 6 and a.isascii() and a.replace(" ", "").isalpha())
    ranker = SegueRanker(slice_index, read_request=catalog_request_reader(slice_index))
    query = ranker.search_query(EvalQuery(qid="q", text="now make it 90s", gold=[],
                                          history=[f"songs like {artist}", "something from the 70s"]))
    assert artist in query.seed_artists
    assert (query.year_min, query.year_max) == (1990, 1999)


def test_lexical_all_hears_every_turn_and_the_liked_titles(slice_index: TrackIndex) -> None:
    from retrieval.lexical import tokenize

    counts: dict[str, int] = {}
    for t in slice_index.tracks:
        for w in set(tokenize(t.title)):
            counts[w] = counts.get(w, 0) + 1
    # Tracks whose title has a word no other title has.
    rare_titled = [i for i, t in enumerate(slice_index.tracks) if any(counts[w] == 1 for w in tokenize(t.title))]

    searcher = HybridSearcher(slice_index)
    alone = SearchQuery(text="rock", seed_track_ids=[slice_index.tracks[0].track_id])
    assert "lexical_all" not in searcher.signals(alone)
    early, liked = rare_titled[0], rare_titled[1]
    early_title, liked_id = slice_index.tracks[early].title, slice_index.tracks[liked].track_id
    query = SearchQuery(text="more like that", history=[f"{early_title} vibes", "something else"],
                        seed_track_ids=[liked_id])
    signals = searcher.signals(query)
    # The turn before the latest is beyond `lexical`, not beyond `lexical_all`; nor is the liked song's title.
    assert signals["lexical_all"][early] == signals["lexical_all"].max()
    assert signals["lexical_all"][liked] > np.median(signals["lexical_all"])
    assert "lexical" not in signals or signals["lexical"][early] < signals["lexical"].max()


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_query_still_ranks(slice_index: TrackIndex, text: str) -> None:
    hits = HybridSearcher(slice_index).search(SearchQuery(text=text), k=10)
    assert len(hits) == 10


def test_conversation_weights_replace_request_weights_only_with_history(slice_index: TrackIndex) -> None:
    config = HybridConfig(dense=0.0, conversation={"dense": 2.0})
    assert config.weight("dense", in_conversation=False) == 0.0
    assert config.weight("dense", in_conversation=True) == 2.0
    assert config.weight("artist", in_conversation=True) == config.artist  # not overridden: the request weight
    searcher = HybridSearcher(slice_index, config)
    title = slice_index.tracks[0].title
    alone = searcher.scores(SearchQuery(text=title))
    talked = searcher.scores(SearchQuery(text=title, history=["hello"]))
    signals = searcher.signals(SearchQuery(text=title, history=["hello"]))
    # With history the track-level dense signal enters the score; alone it does not.
    assert not np.allclose(alone, talked)
    expected = sum(np.float32(config.weight(n, True)) * v for n, v in signals.items())
    assert np.allclose(talked, expected, atol=1e-4)


def test_in_a_conversation_the_latest_named_artist_leads(slice_index: TrackIndex) -> None:
    counts = np.bincount(slice_index.artist)
    earlier, latest = (slice_index.artist_names[a] for a in np.argsort(-counts)[:2])
    query = SearchQuery(text="more of that", history=["some music please"], seed_artists=[earlier, latest],
                        latest_artists=[latest])

    def top_artists(config: HybridConfig) -> list[str]:
        return [slice_index.tracks[row].artist for row, _ in HybridSearcher(slice_index, config).search(query, k=20)]

    top = top_artists(HybridConfig())
    without = top_artists(HybridConfig(conversation={**CONVERSATION_WEIGHTS, "latest_artist": 0.0}))
    assert top.count(latest) > top.count(earlier)
    assert top.count(latest) > without.count(latest)
    ranker = SegueRanker(slice_index, read_request=catalog_request_reader(slice_index))
    read = ranker.search_query(EvalQuery(qid="q", text=f"more like {latest}", gold=[], history=[f"play {earlier}"]))
    assert read.latest_artists == [latest] and earlier in read.seed_artists


def test_a_subject_is_matched_in_each_title_not_in_artist_names() -> None:
    """"songs about dogs": the title that says it wins; a band named after dogs and the hits of an artist with
    one dog song do not."""
    tracks = [Track(track_id="t0", title="One", artist="Three Dog Night", popularity=90),
              Track(track_id="t1", title="Hair of the Dog", artist="Nazareth", popularity=40),
              Track(track_id="t2", title="Big Hit", artist="Nazareth", popularity=95),
              Track(track_id="t3", title="Dogs of War", artist="Blues Band", popularity=30),
              Track(track_id="t4", title="Rain", artist="Other", popularity=50)]
    # as in a real catalog, few titles say the subject
    tracks += [Track(track_id=f"f{i}", title=f"Filler {i}", artist=f"Artist {i}", popularity=i) for i in range(60)]
    searcher = HybridSearcher(_index(tracks))
    signals = searcher.signals(SearchQuery(about="dogs"))
    said = signals["about_lexical"]
    assert said[1] > 0 and said[3] > 0  # "Dog" and "Dogs": both numbers match
    assert said[0] == said[2] == said[4] == said[5] < 0  # not the band's name, not the artist's other track
    top = [row for row, _ in searcher.search(SearchQuery(about="dogs"), k=2)]
    assert set(top) == {1, 3}
    assert "about_lexical" not in searcher.signals(SearchQuery(text="songs about dogs"))


def test_a_subject_brings_titles_that_say_it_where_the_words_alone_bring_an_artists_hits(
        slice_index: TrackIndex) -> None:
    from retrieval.lexical import tokenize

    searcher = HybridSearcher(slice_index)

    def saying_love(query: SearchQuery) -> int:
        return sum("love" in tokenize(slice_index.tracks[row].title) for row, _ in searcher.search(query, k=20))

    as_subject = saying_love(SearchQuery(about="love"))
    as_words = saying_love(SearchQuery(text="songs about love"))
    assert as_subject >= 16 and as_subject > as_words


def test_part_of_an_artists_name_in_a_request_does_not_lift_it() -> None:
    """"pop punk" is no request for Daft Punk: its name's echo of the request gives it no artist-level lift,
    unless the request says the whole name or names it (then it is the parser's seed)."""
    tracks = [Track(track_id=f"d{i}", title=f"Robot Song {i}", artist="Daft Punk", popularity=80) for i in range(3)]
    tracks += [Track(track_id=f"g{i}", title=f"Basket Case {i}", artist="Green Day", genres=["punk"], popularity=70)
               for i in range(3)]
    tracks += [Track(track_id=f"f{i}", title=f"Filler {i}", artist=f"Artist {i}", popularity=i) for i in range(40)]
    searcher = HybridSearcher(_index(tracks))
    plain = searcher.signals(SearchQuery(text="pop punk"))["artist_lexical"]
    assert plain[0] <= 0 < plain[3]  # Daft Punk capped at the average, Green Day's labels still count
    named = searcher.signals(SearchQuery(text="pop punk", seed_artists=["Daft Punk"]))["artist_lexical"]
    talk = searcher.signals(SearchQuery(text="pop punk", history=["hi"]))["artist_lexical"]
    whole = searcher.signals(SearchQuery(text="daft punk robots"))["artist_lexical"]
    assert named[0] > 0 and talk[0] > 0 and whole[0] > 0  # named, in a conversation, or said whole: it counts
