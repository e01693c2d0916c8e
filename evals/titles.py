"""`segue eval titles`: playlist title -> tracks, the RecSys Challenge 2018 title-only task on the catalog.

Each eval playlist (sha256(id) % 3 == 0, at least 10 tracks) is hidden from the index (see
`corpora.hidden_titles_index`); its name is the query and its tracks the gold. With `seeds=N` its first N
tracks are given as the listener's known taste and removed from the gold.

`oracles=True` adds two rankers that are not systems but bounds (`GenreOracle`): Segue's ranking restricted to
the tracks labelled with the query playlist's own subgenre, by the labels the suite hides (what a perfect genre
tagger could reach) and by the labels the index shows (what perfect understanding of the title could add).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.corpora import EvalDataError, base_catalog, hidden_titles_index
from evals.report import SuiteResult, ranking_payload
from evals.systems import (
    EvalQuery,
    PersonalisedSegueRanker,
    RequestReader,
    SegueRanker,
    catalog_request_reader,
    run_rankers,
    standard_rankers,
)
from retrieval.catalog import CatalogPlaylist, Track
from retrieval.index import TrackIndex
from retrieval.settings import Settings

TITLE_METRICS = ("r_precision", "ndcg@100", "recall@100", "hits@10")
DEPTH = 100
ORACLE_BOOST = 1000.0  # in standardised units: every labelled track first, Segue's order within each group


class GenreOracle(SegueRanker):
    """A bound, not a system: Segue's ranking with the tracks whose `labels` hold the query playlist's own
    subgenre (which only the suite knows) put first."""

    def __init__(self, name: str, index: TrackIndex, labels: Sequence[set[str]], subgenre_of: dict[str, str],
                 read_request: RequestReader | None = None) -> None:
        super().__init__(index, read_request=read_request)
        self.name, self.labels, self.subgenre_of = name, labels, subgenre_of

    def rank(self, query: EvalQuery, k: int) -> list[str]:
        subgenre = self.subgenre_of[query.qid]
        carries = np.array([subgenre in labels for labels in self.labels], dtype=np.float32)
        hits = self.searcher.search(self.search_query(query), k, extra=carries, extra_weight=ORACLE_BOOST)
        return [self.index.tracks[row].track_id for row, _ in hits]


def genre_oracles(index: TrackIndex, playlists: Sequence[CatalogPlaylist], true_tracks: Sequence[Track],
                  read_request: RequestReader | None = None) -> list[GenreOracle]:
    """`oracle_hidden_labels` (labels before the suite hid any) and `oracle_title_genre` (the index's labels)."""
    subgenre_of = {p.playlist_id: p.subgenre for p in playlists}
    true_labels = {t.track_id: set(t.subgenres) for t in true_tracks}
    return [
        GenreOracle("oracle_hidden_labels", index, [true_labels.get(t.track_id, set()) for t in index.tracks],
                    subgenre_of, read_request),
        GenreOracle("oracle_title_genre", index, [set(t.subgenres) for t in index.tracks], subgenre_of,
                    read_request),
    ]


def title_queries(playlists: Sequence[CatalogPlaylist], seeds: int = 0) -> list[EvalQuery]:
    return [EvalQuery(qid=p.playlist_id, text=p.name, gold=p.track_ids[seeds:], seed_track_ids=p.track_ids[:seeds])
            for p in playlists]


def run_titles(settings: Settings, seeds: int = 0, limit: int | None = None, split: str = "eval",
               progress: bool = True, built: tuple[TrackIndex, list[CatalogPlaylist]] | None = None,
               personalised: bool = False, oracles: bool = False,
               base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]] | None = None) -> SuiteResult:
    """Every system on the title queries of `split`; `built` reuses a (index, playlists) pair already built
    from `base` (default: the main index). `personalised` adds `segue_personalised` (the seeds as a listener's
    liked tracks) to the same run; `oracles` adds the two `GenreOracle` bounds."""
    if personalised and not seeds:
        raise EvalDataError("--personalised needs --seeds N: the seed tracks are the listener's liked tracks")
    index, playlists = built or hidden_titles_index(settings, split, progress, base)
    queries = title_queries(playlists, seeds)[:limit]
    reader = catalog_request_reader(index)
    rankers = standard_rankers(index, read_request=reader)
    if personalised:
        rankers.insert(1, PersonalisedSegueRanker(index, read_request=reader))
    if oracles:
        rankers.extend(genre_oracles(index, playlists, (base or base_catalog(settings))[0], reader))
    # R-precision looks |gold| deep, and a few playlists hold more than 100 tracks.
    results = run_rankers(rankers, queries, TITLE_METRICS, depth=lambda q: max(DEPTH, len(q.gold)),
                          progress=progress, description=f"titles{f' +{seeds} seeds' if seeds else ''}")
    index.embedder.flush()
    suite = f"titles-seeds{seeds}" if seeds else "titles"
    payload = ranking_payload(suite, results, TITLE_METRICS)
    if personalised:
        systems = payload["systems"]
        payload["personalisation_gain"] = {m: round(systems["segue_personalised"][m] - systems["segue"][m], 4)
                                           for m in TITLE_METRICS}
    payload["setup"] = {
        "split": split,
        "queries": len(queries),
        "seeds": seeds,
        "index_tracks": len(index),
        "hidden_playlists": len(playlists),
        "query": "playlist name (baselines: name + seed titles)",
    }
    if oracles:
        payload["setup"]["oracles"] = ("bounds, not systems: segue with the tracks labelled with the playlist's own "
                                       "subgenre first; hidden_labels: by the labels the suite hides, "
                                       "title_genre: by the labels the index shows")
    return SuiteResult(payload, {"segue": [r.ms for r in results["segue"]]})
