"""`segue eval titles`: playlist title -> tracks, the RecSys Challenge 2018 title-only task on the catalog.

Each eval playlist (sha256(id) % 3 == 0, at least 10 tracks) is hidden from the index (see
`corpora.hidden_titles_index`); its name is the query and its tracks the gold. With `seeds=N` its first N
tracks are given as the listener's known taste and removed from the gold.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.corpora import EvalDataError, hidden_titles_index
from evals.report import SuiteResult, ranking_payload
from evals.systems import (
    EvalQuery,
    PersonalisedSegueRanker,
    catalog_request_reader,
    run_rankers,
    standard_rankers,
)
from retrieval.catalog import CatalogPlaylist
from retrieval.index import TrackIndex
from retrieval.settings import Settings

TITLE_METRICS = ("r_precision", "ndcg@100", "recall@100", "hits@10")
DEPTH = 100


def title_queries(playlists: Sequence[CatalogPlaylist], seeds: int = 0) -> list[EvalQuery]:
    return [EvalQuery(qid=p.playlist_id, text=p.name, gold=p.track_ids[seeds:], seed_track_ids=p.track_ids[:seeds])
            for p in playlists]


def run_titles(settings: Settings, seeds: int = 0, limit: int | None = None, split: str = "eval",
               progress: bool = True, built: tuple[TrackIndex, list[CatalogPlaylist]] | None = None,
               personalised: bool = False) -> SuiteResult:
    """Every system on the title queries of `split`; `built` reuses a (index, playlists) pair already built.
    `personalised` adds `segue_personalised` (the seeds as a listener's liked tracks) to the same run."""
    if personalised and not seeds:
        raise EvalDataError("--personalised needs --seeds N: the seed tracks are the listener's liked tracks")
    index, playlists = built or hidden_titles_index(settings, split, progress)
    queries = title_queries(playlists, seeds)[:limit]
    reader = catalog_request_reader(index)
    rankers = standard_rankers(index, read_request=reader)
    if personalised:
        rankers.insert(1, PersonalisedSegueRanker(index, read_request=reader))
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
    return SuiteResult(payload, {"segue": [r.ms for r in results["segue"]]})
