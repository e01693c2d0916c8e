"""The systems the ranking suites compare: Segue's hybrid search and four baselines, behind one protocol,
and the loop that runs them all over the same queries."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.spec import PlaylistSpec
from assistant.vocabulary import Vocabulary
from evals.metrics import collapse, score_ranking
from retrieval.hybrid import HybridConfig, HybridSearcher, SearchQuery
from retrieval.index import TrackIndex, top_k
from retrieval.ingest import _progress


@dataclass
class EvalQuery:
    """One ranking query: the request so far, the known seed tracks and the relevant tracks."""

    qid: str
    text: str
    gold: list[str]
    history: list[str] = field(default_factory=list)
    seed_track_ids: list[str] = field(default_factory=list)
    group: str = ""  # the dialog of a CPCD turn (macro averages are per group)
    turn: int = 0


class Ranker(Protocol):
    name: str

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        """The k best track ids for `query`, best first."""
        ...


def _stable_int(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def baseline_text(query: EvalQuery, index: TrackIndex) -> str:
    """What the text-only baselines search for: every user turn so far, then the seed tracks' titles
    (the query of the reference baselines in the issue)."""
    seeds = [index.tracks[index.row[t]].title for t in query.seed_track_ids if t in index.row]
    return " ".join([*query.history, query.text, *seeds])


class RandomRanker:
    """Uniformly random tracks; a fresh but reproducible draw per query (seed, query id)."""

    name = "random"

    def __init__(self, index: TrackIndex, seed: int = 0) -> None:
        self.index = index
        self.seed = seed

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        rng = np.random.default_rng([self.seed, _stable_int(query.qid)])
        rows = rng.choice(len(self.index), size=min(k, len(self.index)), replace=False)
        return [self.index.tracks[i].track_id for i in rows]


class PopularityRanker:
    """The same list for every query: most popular first. Ties, and tracks without a popularity (CPCD tracks
    the catalog does not know), come in one fixed random order, so without popularity this is a random ranking
    that does not change with the query."""

    name = "popularity"

    def __init__(self, index: TrackIndex, seed: int = 0) -> None:
        self.index = index
        tie = np.random.default_rng(seed).random(len(index))
        popularity = np.nan_to_num(index.popularity, nan=-1.0)
        self.order = np.lexsort((tie, -popularity))

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        return [self.index.tracks[i].track_id for i in self.order[:k]]


class BM25Ranker:
    """Okapi BM25 over the track texts of the index (`index.bm25`)."""

    name = "bm25"

    def __init__(self, index: TrackIndex) -> None:
        self.index = index

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        scores = self.index.bm25.scores(baseline_text(query, self.index))
        return [self.index.tracks[i].track_id for i in top_k(scores, k)]


class DenseRanker:
    """Cosine similarity of the embedded query to every track vector (`index.dense_scores`)."""

    name = "dense"

    def __init__(self, index: TrackIndex) -> None:
        self.index = index

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        scores = self.index.dense_scores(self.index.encode(baseline_text(query, self.index)))
        return [self.index.tracks[i].track_id for i in top_k(scores, k)]


RequestReader = Callable[[str], PlaylistSpec]


class SegueRanker:
    """Segue's retrieval: `HybridSearcher` over the same index, given the turns, the seeds, and what Segue's
    request parser reads in the turns: the catalog artists they name (plus the seeds' artists), the era, and
    what the latest turn wants the songs to be about."""

    name = "segue"

    def __init__(self, index: TrackIndex, config: HybridConfig | None = None,
                 read_request: RequestReader | None = None) -> None:
        self.index = index
        self.searcher = HybridSearcher(index, config)
        self.read_request = read_request

    def search_query(self, query: EvalQuery) -> SearchQuery:
        specs = [self.read_request(turn) for turn in (*query.history, query.text)] if self.read_request else []
        # Artists named in earlier turns still describe the playlist the listener is after; the era is the
        # one the latest turn that names an era asked for.
        named = [a for spec in specs for a in spec.seed_artists]
        era = next((s for s in reversed(specs) if s.year_min is not None or s.year_max is not None), None)
        seed_artists = [self.index.tracks[self.index.row[t]].artist for t in query.seed_track_ids if t in self.index.row]
        artists = list(dict.fromkeys([*named, *seed_artists]))
        text, about = query.text, specs[-1].about if specs else ""
        if not query.seed_track_ids and not artists:  # as `PlaylistBuilder.search_query` does
            text, about = Vocabulary.for_index(self.index).without_absent_genres(text, about)
        return SearchQuery(text=text, about=about, history=list(query.history),
                           seed_track_ids=list(query.seed_track_ids), seed_artists=artists,
                           latest_artists=specs[-1].seed_artists if specs else [],
                           year_min=era.year_min if era else None, year_max=era.year_max if era else None)

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        hits = self.searcher.search(self.search_query(query), k)
        return [self.index.tracks[row].track_id for row, _ in hits]


class PersonalisedSegueRanker(SegueRanker):
    """Segue for a listener whose profile is the query's seed tracks, liked: the same hybrid search plus
    the `TasteProfile` score at `MusicAssistant`'s default strength (issue "Personalisation")."""

    name = "segue_personalised"

    def __init__(self, index: TrackIndex, config: HybridConfig | None = None,
                 read_request: RequestReader | None = None, strength: float = 0.5) -> None:
        super().__init__(index, config, read_request)
        self.strength = strength

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        from assistant.taste import TasteProfile, taste_boost

        taste = TasteProfile.from_liked(self.index, query.seed_track_ids)
        extra = taste_boost(taste, PlaylistSpec(), self.strength)
        hits = self.searcher.search(self.search_query(query), k, extra=extra)
        return [self.index.tracks[row].track_id for row, _ in hits]


def standard_rankers(index: TrackIndex, seed: int = 0, config: HybridConfig | None = None,
                     read_request: RequestReader | None = None) -> list[Ranker]:
    """Segue and the four baselines, in the order tables show them."""
    return [SegueRanker(index, config, read_request), BM25Ranker(index), DenseRanker(index),
            PopularityRanker(index, seed), RandomRanker(index, seed)]


@dataclass
class QueryResult:
    query: EvalQuery
    metrics: dict[str, float]
    ms: float


def run_rankers(rankers: Sequence[Ranker], queries: Sequence[EvalQuery], metric_names: Sequence[str],
                depth: Callable[[EvalQuery], int], key: Callable[[str], str] | None = None,
                progress: bool = True, description: str = "ranking") -> dict[str, list[QueryResult]]:
    """Every ranker on every query, scored the same way: ids mapped to near-duplicate clusters by `key`
    (each cluster once), then the seeds removed from the ranking and from the gold. Queries whose gold is
    empty after that are skipped (CPCD protocol)."""
    results: dict[str, list[QueryResult]] = {r.name: [] for r in rankers}
    with _progress(progress) as bar:
        task = bar.add_task(description, total=len(queries) * len(rankers)) if bar else None
        as_key = key or (lambda x: x)
        for query in queries:
            seeds = set(collapse(query.seed_track_ids, as_key))
            gold = [g for g in collapse(query.gold, as_key) if g not in seeds]
            for ranker in rankers:
                if gold:
                    start = time.perf_counter()
                    ranked = ranker.rank(query, depth(query) + len(query.seed_track_ids))
                    ms = (time.perf_counter() - start) * 1000
                    ranked_keys = [r for r in collapse(ranked, as_key) if r not in seeds]
                    results[ranker.name].append(QueryResult(query, score_ranking(ranked_keys, set(gold), metric_names), ms))
                if bar:
                    bar.advance(task)
    return results


def catalog_request_reader(index: TrackIndex) -> RequestReader:
    """Segue's request parser over this index (artists it names as taste, not exclusions; its era; ...)."""
    from assistant.understand import RequestParser
    from assistant.vocabulary import Vocabulary

    return RequestParser(Vocabulary.for_index(index)).parse
