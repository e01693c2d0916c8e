"""`segue bench playlist`: latency of `MusicAssistant.generate_playlist` without LLM text.

Requests: real ones written by people (evals/data/requests/*.csv, column `original`) plus generated requests
with hard constraints (counts, minutes, years, feature ranges, popularity, orderings) passed as overrides, so
filtering, relaxation and sequencing are timed as well. The first call (model and index loading) is reported
separately as `warmup_s` and not counted.
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from assistant.api import MusicAssistant
from assistant.errors import RequestError
from retrieval.errors import SegueError
from retrieval.settings import Settings, get_settings

REQUESTS_DIR = Path(__file__).resolve().parents[1] / "evals" / "data" / "requests"
TARGET_P95_MS = 150.0
N_REQUESTS = 200
GENERATED_SHARE = 0.3
SEED = 7

_MOODS = ("upbeat", "chill", "melancholic", "energetic", "mellow", "dark", "happy", "dreamy")
_GENRES = ("rock", "pop", "rap", "r&b", "latin", "edm", "hip hop", "indie poptimism", "hard rock", "electropop")
_ORDERINGS = ("retrieved", "rising", "falling", "arc", "smooth")


class RequestDataMissingError(SegueError):
    def __init__(self, where: Path) -> None:
        super().__init__(f"no request files (*.csv) in {where}: run the bench from a checkout of the repository")


def real_requests(n: int, rng: random.Random) -> list[str]:
    files = sorted(REQUESTS_DIR.glob("*.csv"))
    if not files:
        raise RequestDataMissingError(REQUESTS_DIR)
    texts: list[str] = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            texts.extend(row["original"].strip() for row in csv.DictReader(fh) if row.get("original", "").strip())
    return rng.sample(texts, min(n, len(texts)))


def generated_requests(n: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Constraint requests: the text says it, and the overrides make sure the constraints are applied."""
    out: list[tuple[str, dict[str, Any]]] = []
    for _ in range(n):
        mood, genre = rng.choice(_MOODS), rng.choice(_GENRES)
        decade = rng.choice((1960, 1970, 1980, 1990, 2000, 2010))
        overrides: dict[str, Any] = {"ordering": rng.choice(_ORDERINGS), "year_min": decade, "year_max": decade + 9}
        if rng.random() < 0.5:
            overrides["n_tracks"] = rng.choice((5, 10, 15, 25, 40, 60))
            length = f"{overrides['n_tracks']} songs"
        else:
            overrides["minutes"] = rng.choice((20, 45, 60, 90, 180))
            length = f"{overrides['minutes']} minutes"
        text = f"{length} of {mood} {genre} from the {decade}s"
        if rng.random() < 0.5:
            low = round(rng.uniform(0.3, 0.95), 2)
            overrides["features"] = {"energy": {"min": low}}
            text += f" with energy above {low}"
        if rng.random() < 0.3:
            overrides["popularity"] = rng.choice(("hits", "deep_cuts"))
            text += ", only " + overrides["popularity"].replace("_", " ")
        if rng.random() < 0.3:
            overrides["max_per_artist"] = rng.choice((1, 2, 3))
        out.append((text, overrides))
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def bench_playlist(settings: Settings | None = None, *, n: int = N_REQUESTS, progress: bool = True,
                   assistant: MusicAssistant | None = None) -> dict[str, Any]:
    rng = random.Random(SEED)
    n_generated = round(n * GENERATED_SHARE)
    work: list[tuple[str, dict[str, Any]]] = [(t, {}) for t in real_requests(n - n_generated, rng)]
    work += generated_requests(n_generated, rng)
    rng.shuffle(work)
    ma = assistant or MusicAssistant(settings or get_settings())
    load_avg = os.getloadavg()[0]

    start = time.perf_counter()
    ma.generate_playlist("warm-up: a few songs to load the model and the index", n_tracks=5)
    warmup_s = time.perf_counter() - start

    times_ms: list[float] = []
    cpu_ms: list[float] = []  # CPU time of this process: what the wall time would be on an idle machine
    refused = relaxed = tracks = 0
    with _progress(progress) as bar:
        task = bar.add_task("generating playlists", total=len(work)) if bar else None
        for text, overrides in work:
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                result = ma.generate_playlist(text, **overrides)
            except RequestError:
                refused += 1  # e.g. over the length limit: a clear answer, not a playlist
            else:
                times_ms.append((time.perf_counter() - start) * 1000)
                cpu_ms.append((time.process_time() - cpu_start) * 1000)
                relaxed += bool(result.relaxed)
                tracks += len(result.tracks)
            if bar:
                bar.advance(task)
    p95 = percentile(times_ms, 95)
    return {
        "n": len(times_ms),
        "real_requests": n - n_generated,
        "generated_requests": n_generated,
        "refused": refused,
        "p50_ms": round(percentile(times_ms, 50), 1),
        "p95_ms": round(p95, 1),
        "mean_ms": round(statistics.fmean(times_ms), 1),
        "max_ms": round(max(times_ms), 1),
        "cpu_p50_ms": round(percentile(cpu_ms, 50), 1),
        "cpu_p95_ms": round(percentile(cpu_ms, 95), 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": p95 < TARGET_P95_MS,
        "warmup_s": round(warmup_s, 2),
        "with_relaxation": relaxed,
        "mean_tracks": round(tracks / max(len(times_ms), 1), 1),
        "catalog_tracks": len(ma.index),
        "load_avg_1min": round(load_avg, 2),
    }


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        yield bar
