"""`segue eval fit`: the fusion weights of `HybridConfig` refitted by coordinate ascent on training queries only.

- `cpcd`: the conversation weights, on the CPCD `fit` dialogs (tracks enriched as `segue eval cpcd` does them).
  The `holdout` dialogs are scored with the start and the fitted weights and never fitted on.
- `titles`: the request weights, on the titles suite's training playlists dealt into `folds` folds. The eval
  playlists and the tracks only they hold are left out of the catalog (`training_catalog`); each fold is hidden
  from the rest in turn and queried by its titles, alone and with 5 seeds. The eval split is never touched:
  `segue eval titles` then tells how the weights do there.

Each query's signals are computed once (`HybridSearcher.signals`, kept as float16); a weight setting is scored by
fusing and ranking them as `HybridSearcher.search` does (`fuse`, `ranked_rows`) through the suites' own protocol
and metric code, so the figures match the suites' up to float16 rounding. The objective is the mean of each
headline metric over its bar (the quality issue's targets) minus half of every shortfall below a bar, so a gain
on one metric cannot hide a loss under the bar on another. The result is printed, not written into the code:
the shipped weights change only by a reviewed commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from evals.corpora import EvalDataError, base_catalog, hidden_index, train_folds, training_catalog
from evals.cpcd import (
    DEFAULT_DIALOGS,
    DEPTH,
    cluster_keys,
    dialog_queries,
    dialog_split,
    enriched_index,
    load_dialogs,
)
from evals.report import SuiteResult, ranking_payload
from evals.systems import EvalQuery, SegueRanker, catalog_request_reader, run_rankers
from evals.titles import DEPTH as TITLE_DEPTH
from evals.titles import title_queries
from retrieval.catalog import CatalogPlaylist, Track
from retrieval.hybrid import HybridConfig, fuse, ranked_rows
from retrieval.index import TrackIndex
from retrieval.ingest import _progress
from retrieval.settings import Settings

# The quality issue's bars: the objective measures each metric against these.
BARS: dict[str, dict[str, float]] = {
    "cpcd": {"hits@10": 0.65, "mrr@10": 0.40, "recall@100": 0.40},
    "titles": {"r_precision": 0.07, "ndcg@100": 0.09, "hits@10": 0.35},
    "titles-seeds5": {"r_precision": 0.16, "ndcg@100": 0.22, "hits@10": 0.78},
}
GRID = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
FIT_SEEDS = 5
# Signals a weight of either set may change; weights of absent signals (e.g. playlists in CPCD) stay as they are.
REQUEST_SIGNALS = ("artist", "artist_mean", "artist_lexical", "artist_hits", "playlist_artists", "popularity",
                   "year_fit", "named_artist", "seed_dense", "seed_artist", "seed_album", "seed_artist_centroid",
                   "seed_sound", "seed_year", "seed_popularity", "seed_cooccurrence")
CONVERSATION_SIGNALS = ("dense", "lexical", "lexical_all", "artist", "artist_mean", "artist_lexical", "popularity",
                        "year_fit", "named_artist", "latest_artist", "seed_dense", "seed_artist", "seed_album",
                        "seed_artist_centroid", "seed_sound", "seed_year", "seed_popularity")


@dataclass
class QuerySignals:
    signals: dict[str, np.ndarray]  # float16: a few hundred MB for a whole suite instead of twice that
    seed_rows: list[int]
    in_conversation: bool


class CachedSegue:
    """Segue's ranking of a query from signals computed beforehand, under any `HybridConfig`."""

    name = "segue"

    def __init__(self, index: TrackIndex, cached: dict[str, QuerySignals], config: HybridConfig) -> None:
        self.index, self.cached, self.config = index, cached, config

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        c = self.cached[query.qid]
        scores = fuse(c.signals, self.config, c.in_conversation, len(self.index))
        scores[c.seed_rows] = -np.inf
        return [self.index.tracks[r].track_id for r in ranked_rows(self.index, scores, k, self.config.diversify_head)]


@dataclass
class Part:
    """Queries of one index, scored as one suite scores them."""

    bars: str  # a key of BARS
    index: TrackIndex
    queries: list[EvalQuery]
    cached: dict[str, QuerySignals]
    depth: Callable[[EvalQuery], int]
    key: Callable[[str], str] | None = None
    macro: bool = False

    def score(self, config: HybridConfig) -> dict[str, float]:
        metrics = tuple(BARS[self.bars])
        results = run_rankers([CachedSegue(self.index, self.cached, config)], self.queries, metrics, self.depth,
                              key=self.key, progress=False)
        return {m: v for m, v in ranking_payload(self.bars, results, metrics, self.macro)["systems"]["segue"].items()
                if m in metrics}


def cache_signals(ranker: SegueRanker, queries: Sequence[EvalQuery], description: str,
                  progress: bool = True) -> dict[str, QuerySignals]:
    """Each query's signals as the live ranker computes them (its request parser reads the turns)."""
    index = ranker.index
    out: dict[str, QuerySignals] = {}
    with _progress(progress) as bar:
        task = bar.add_task(description, total=len(queries)) if bar else None
        for q in queries:
            search = ranker.search_query(q)
            signals = {n: v.astype(np.float16) for n, v in ranker.searcher.signals(search).items()}
            out[q.qid] = QuerySignals(signals, [index.row[t] for t in q.seed_track_ids if t in index.row],
                                      bool(search.history))
            if bar:
                bar.advance(task)
    return out


def objective(scores: Sequence[tuple[str, dict[str, float]]]) -> float:
    """Mean of metric / bar over every part and metric, minus half of every shortfall below a bar."""
    ratios = np.array([value / BARS[bars][m] for bars, row in scores for m, value in row.items()])
    return float(ratios.mean() - 0.5 * np.maximum(0.0, 1.0 - ratios).sum())


def with_weight(config: HybridConfig, name: str, value: float, conversation: bool) -> HybridConfig:
    if conversation:
        return config.model_copy(update={"conversation": {**config.conversation, name: value}})
    return config.model_copy(update={name: value})


def coordinate_ascent(parts: Sequence[Part], config: HybridConfig, names: Sequence[str], conversation: bool,
                      rounds: int = 2, grid: Sequence[float] = GRID, progress: bool = True) -> HybridConfig:
    """Try every grid value of one weight at a time, keep any that raises the objective; `rounds` passes."""
    def value(c: HybridConfig) -> float:
        return objective([(p.bars, p.score(c)) for p in parts])

    best = value(config)
    with _progress(progress) as bar:
        task = bar.add_task("fitting weights", total=rounds * len(names) * len(grid)) if bar else None
        for _ in range(rounds):
            for name in names:
                current = config.weight(name, conversation)
                for candidate in grid:
                    if bar:
                        bar.advance(task)
                    if candidate == current:
                        continue
                    trial = with_weight(config, name, candidate, conversation)
                    v = value(trial)
                    if v > best + 1e-4:
                        best, config, current = v, trial, candidate
    return config


def _changes(start: HybridConfig, fitted: HybridConfig, names: Sequence[str], conversation: bool) -> dict[str, str]:
    return {n: f"{start.weight(n, conversation):g} -> {fitted.weight(n, conversation):g}" for n in names
            if start.weight(n, conversation) != fitted.weight(n, conversation)}


def cpcd_parts(settings: Settings, path: Path | None, limit: int | None,
               progress: bool) -> tuple[list[Part], list[Part]]:
    dialogs, records = load_dialogs(Path(path or DEFAULT_DIALOGS))
    dialogs = dialogs[:limit]
    index, _ = enriched_index(records, settings, progress)
    key = cluster_keys(records)
    ranker = SegueRanker(index, read_request=catalog_request_reader(index))
    parts = {}
    for split in ("fit", "holdout"):
        queries = dialog_queries([d for d in dialogs if dialog_split(d.id) == split])
        if not queries:
            raise EvalDataError(f"no {split} dialogs among the {len(dialogs)} given: give more dialogs")
        parts[split] = Part("cpcd", index, queries, cache_signals(ranker, queries, f"cpcd {split} signals", progress),
                            lambda q: DEPTH, key, macro=True)
    index.embedder.flush()
    return [parts["fit"]], [parts["holdout"]]


def titles_parts(settings: Settings, folds: int, limit: int | None, progress: bool,
                 base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]] | None = None) -> list[Part]:
    world = training_catalog(base or base_catalog(settings))
    parts = []
    for k, fold in enumerate(train_folds(world[1], folds)):
        fold = fold[:limit]
        if not fold:
            raise EvalDataError("a training fold has no playlists: the catalog has too few titled playlists")
        index = hidden_index(settings, fold, world, progress, name=f"titles-fold{k}-hidden")
        ranker = SegueRanker(index, read_request=catalog_request_reader(index))
        for seeds, bars in ((0, "titles"), (FIT_SEEDS, "titles-seeds5")):
            queries = [replace(q, qid=f"{q.qid}:{seeds}") for q in title_queries(fold, seeds)]
            cached = cache_signals(ranker, queries, f"fold {k} {bars} signals", progress)
            parts.append(Part(bars, index, queries, cached, lambda q: max(TITLE_DEPTH, len(q.gold))))
    return parts


def run_fit(settings: Settings, suite: str, rounds: int = 2, folds: int = 3, limit: int | None = None,
            dialogs: Path | None = None, progress: bool = True, grid: Sequence[float] = GRID,
            base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]] | None = None) -> SuiteResult:
    """Fit one weight set on its training queries; the payload holds both weight sets and their scores.
    `base` replaces the catalog the titles folds are cut from (tests use a slice)."""
    start = HybridConfig()
    if suite == "cpcd":
        train, unseen = cpcd_parts(settings, dialogs, limit, progress)
        names, conversation = CONVERSATION_SIGNALS, True
    elif suite == "titles":
        train, unseen = titles_parts(settings, folds, limit, progress, base), []
        names, conversation = REQUEST_SIGNALS, False
    else:
        raise EvalDataError(f"unknown suite {suite!r}: use cpcd or titles")
    fitted = coordinate_ascent(train, start, names, conversation, rounds, grid, progress)

    def scores(parts: list[Part]) -> list[tuple[str, dict[str, float], dict[str, float]]]:
        return [(p.bars, p.score(start), p.score(fitted)) for p in parts]

    def table(rows: list[tuple[str, dict[str, float], dict[str, float]]]) -> dict[str, dict[str, dict[str, float]]]:
        return {f"{bars}#{i}": {"start": before, "fitted": after} for i, (bars, before, after) in enumerate(rows)}

    trained, held_out = scores(train), scores(unseen)
    payload = {
        "suite": f"fit-{suite}",
        "weights": "conversation" if conversation else "request",
        "queries": {f"{p.bars}#{i}": len(p.queries) for i, p in enumerate(train)},
        "objective": {"start": round(objective([(b, s) for b, s, _ in trained]), 4),
                      "fitted": round(objective([(b, f) for b, _, f in trained]), 4)},
        "changed": _changes(start, fitted, names, conversation),
        "train": table(trained),
        "unseen": table(held_out),
        "fitted_weights": {n: fitted.weight(n, conversation) for n in names},
    }
    return SuiteResult(payload)
