"""`segue eval cpcd`: the Conversational Playlist Curation Dataset protocol (Chaganty et al., SIGIR 2023).

At each turn t of a dialog every system ranks the corpus of the file given the user's turns 0..t and, as
seeds, the first 3 liked tracks of every earlier turn. Gold is the dialog's goal playlist. Near-duplicates
count once (the file's `track_cluster_ids` when present, else normalised title + first artist); seeds are
removed from the ranking and the gold; turns with no gold left are skipped; macro = mean over dialogs of
the mean over their turns (as the paper's eval.py). Every system ranks the file's tracks with what the catalog
knows of their artists and songs added (`evals/enrich.py`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.corpora import EvalDataError, base_catalog, cpcd_index
from evals.enrich import CatalogKnowledge, normalised_title
from evals.metrics import mean
from evals.report import SuiteResult, ranking_payload
from evals.systems import EvalQuery, QueryResult, catalog_request_reader, run_rankers, standard_rankers
from retrieval.index import TrackIndex
from retrieval.lexical import fold
from retrieval.settings import Settings

DATA_DIR = Path(__file__).resolve().parent / "data" / "cpcd"
DEFAULT_DIALOGS = DATA_DIR / "cpcd_v1.dialogs.dev.train.v1_no_clusters.jsonl.gz"
SCORES_DIR = DATA_DIR / "scores"
CPCD_METRICS = ("hits@1", "hits@10", "hits@100", "mrr@10", "recall@100")
SEEDS_PER_TURN = 3
DEPTH = 200  # ranked before near-duplicates collapse, so at least 100 distinct songs remain
MAX_TURNS = 10  # per-turn figures stop here, as in the paper's tables (the macro uses every turn)
PAPER_CORPUS = "the full 106,736-track CPCD catalogue (a different, 14x larger corpus than this file's)"
_PUBLISHED_METRICS = {"hit@1": "hits@1", "hit@10": "hits@10", "hit@100": "hits@100", "mrr@10": "mrr@10",
                      "recall@100": "recall@100"}


@dataclass
class Dialog:
    id: str
    user_turns: list[str]
    liked: list[list[str]]  # liked track ids of each turn
    goal: list[str]


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise EvalDataError(f"dialogs file not found: {path}")
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8").splitlines()
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise EvalDataError(f"cannot read dialogs file {path}: {exc}") from None


def load_dialogs(path: Path) -> tuple[list[Dialog], dict[str, dict[str, Any]]]:
    """The dialogs of a CPCD JSONL file (plain or gzipped) and every track record they carry, by id."""
    dialogs: list[Dialog] = []
    records: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            turns = obj["turns"]
            dialog = Dialog(
                id=str(obj["id"]),
                user_turns=[str(t["user_query"]) for t in turns],
                liked=[[str(x) for x in t.get("liked_results") or []] for t in turns],
                goal=[str(x) for x in obj["goal_playlist"]],
            )
            tracks = obj["tracks"]
            if not isinstance(tracks, dict):
                raise TypeError("tracks is not an object")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalDataError(f"{path}:{number} is not a CPCD dialog ({type(exc).__name__}: {exc}): "
                                "expected {id, turns[{user_query, liked_results}], tracks, goal_playlist}") from None
        records.update((str(k), v) for k, v in tracks.items())
        dialogs.append(dialog)
    if not dialogs:
        raise EvalDataError(f"no dialogs in {path}")
    return dialogs, records


def cluster_keys(records: dict[str, dict[str, Any]]) -> Callable[[str], str]:
    """Track id -> near-duplicate key: the file's cluster id when it has them, else title + first artist."""
    keys: dict[str, str] = {}
    for ytid, rec in records.items():
        cluster = rec.get("track_cluster_ids")
        if cluster not in (None, ""):
            keys[ytid] = f"cluster:{cluster}"
        else:
            artists = rec.get("track_artists") or [""]
            keys[ytid] = f"song:{normalised_title(str(rec.get('track_titles') or ''))}|{fold(str(artists[0])).strip()}"
    return lambda ytid: keys.get(ytid, f"id:{ytid}")


def dialog_split(dialog_id: str) -> str:
    """'holdout' for a third of the dialogs (sha256 of the id), never used to fit anything; else 'fit'."""
    return "holdout" if int(hashlib.sha256(dialog_id.encode()).hexdigest(), 16) % 3 == 0 else "fit"


def dialog_queries(dialogs: Sequence[Dialog]) -> list[EvalQuery]:
    """One query per turn: that turn's words, the earlier ones as history, earlier likes (3 a turn) as seeds."""
    queries = []
    for d in dialogs:
        seeds: list[str] = []
        for t, text in enumerate(d.user_turns):
            queries.append(EvalQuery(qid=f"{d.id}:{t}", text=text, gold=d.goal, history=d.user_turns[:t],
                                     seed_track_ids=list(seeds), group=d.id, turn=t))
            seeds.extend(d.liked[t][:SEEDS_PER_TURN])
    return queries


def published_scores(folder: Path = SCORES_DIR, split: str = "dev") -> dict[str, dict[str, float]]:
    """The paper's macro figures per baseline, from its official `scores/<system>.<split>.csv` tables."""
    out: dict[str, dict[str, float]] = {}
    for path in sorted(folder.glob(f"*.{split}.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows = {row["metric"]: row for row in csv.DictReader(fh)}
        out[path.name.removesuffix(f".{split}.csv")] = {
            ours: float(rows[theirs]["macro"]) for theirs, ours in _PUBLISHED_METRICS.items() if theirs in rows}
    return out


def by_turn(results: Sequence[QueryResult], names: Sequence[str]) -> dict[str, list[float]]:
    """Mean of each metric over the evaluated turns at each turn index (0..MAX_TURNS-1)."""
    out: dict[str, list[float]] = {}
    for name in names:
        out[name] = [round(mean([r.metrics[name] for r in results if r.query.turn == t]), 4)
                     for t in range(MAX_TURNS) if any(r.query.turn == t for r in results)]
    return out


def enriched_index(records: dict[str, dict[str, Any]], settings: Settings,
                   progress: bool = True) -> tuple[TrackIndex, CatalogKnowledge]:
    """The file's tracks with what the catalog Segue is set up with knows of them, and that knowledge."""
    knowledge = CatalogKnowledge(base_catalog(settings)[0])
    return cpcd_index(records, settings, progress, knowledge), knowledge


def run_cpcd(settings: Settings, path: Path | None = None, limit: int | None = None, split: str = "all",
             progress: bool = True) -> SuiteResult:
    if split not in ("all", "fit", "holdout"):
        raise EvalDataError(f"unknown split {split!r}: use all, fit or holdout")
    path = Path(path or DEFAULT_DIALOGS)
    dialogs, records = load_dialogs(path)
    if split != "all":
        dialogs = [d for d in dialogs if dialog_split(d.id) == split]
    dialogs = dialogs[:limit]
    index, knowledge = enriched_index(records, settings, progress)
    queries = dialog_queries(dialogs)
    rankers = standard_rankers(index, read_request=catalog_request_reader(index))
    results = run_rankers(rankers, queries, CPCD_METRICS, depth=lambda q: DEPTH, key=cluster_keys(records),
                          progress=progress, description="cpcd turns")
    index.embedder.flush()
    payload = ranking_payload("cpcd", results, CPCD_METRICS, macro=True)
    payload["dialogs"] = len({r.query.group for r in results["segue"]})
    payload["by_turn"] = {name: by_turn(rs, CPCD_METRICS) for name, rs in results.items()}
    payload["setup"] = {
        "file": str(path),
        "split": split,
        "corpus_tracks": len(index),
        "clusters": "file cluster ids" if any(r.get("track_cluster_ids") for r in records.values())
        else "normalised title + first artist",
        "turns_skipped": len(queries) - payload["n"],
        "query": "segue: turns + seeds + seed artists; baselines: user turns + seed titles",
        "catalog_knowledge": {"artist_known": round(knowledge.coverage.artist_known / max(len(index), 1), 4),
                              "song_known": round(knowledge.coverage.song_known / max(len(index), 1), 4),
                              "from": "the catalog's genre labels of each artist it holds (and their median "
                                      "popularity); year, popularity and audio features of each song it holds"},
    }
    payload["published"] = {"corpus": PAPER_CORPUS, "average": "macro", "split": "dev",
                            "systems": published_scores()}
    return SuiteResult(payload, {"segue": [r.ms for r in results["segue"]]})
