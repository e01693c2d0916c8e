"""`segue bench scale`: every catalog size in its own process, whole playlists timed on each.

The store and retrieval figures come from `retrieval.bench_scale.bench_size`; this module adds the
`generate_playlist` timing (the same request mix as `segue bench playlist`, without LLM) and runs each size
in a fresh `python -m assistant.bench_scale N` so that peak memory is that size's alone.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from typing import Any, Sequence

from assistant.errors import RequestError
from retrieval.errors import SegueError
from retrieval.index import TrackIndex
from retrieval.settings import Settings, get_settings

PLAYLIST_REQUESTS = 40
TARGET_FILTERED_P95_MS = 50.0  # at 500k tracks
TARGET_SPEEDUP = 5.0  # over Chroma's `where` on the same data


class ScaleBenchError(SegueError):
    """A size's benchmark process failed; its message is that process's last line of output."""


def playlist_times(index: TrackIndex, settings: Settings) -> list[float]:
    """Seconds per `generate_playlist` over real and constraint requests, after one warm-up call."""
    from assistant.api import MusicAssistant
    from assistant.bench import generated_requests, real_requests

    rng = random.Random(11)
    n_generated = PLAYLIST_REQUESTS * 3 // 10
    work = [(t, {}) for t in real_requests(PLAYLIST_REQUESTS - n_generated, rng)]
    work += generated_requests(n_generated, rng)
    assistant = MusicAssistant(settings, index=index)
    assistant.generate_playlist("warm-up: a few songs", n_tracks=5)
    times = []
    for text, overrides in work:
        start = time.perf_counter()
        try:
            assistant.generate_playlist(text, **overrides)
        except RequestError:
            continue  # refused (e.g. too long): not a playlist, not timed
        times.append(time.perf_counter() - start)
    return times


def bench_scale(sizes: Sequence[int], *, progress: bool = True) -> dict[str, Any]:
    settings = get_settings()
    load_before = os.getloadavg()[0]
    out: dict[str, Any] = {"sizes": {}}
    for n in sizes:
        proc = subprocess.run([sys.executable, "-m", "assistant.bench_scale", str(n), *([] if progress else ["--quiet"])],
                              stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE, text=True)
        if proc.returncode != 0:
            lines = (proc.stderr or "").strip().splitlines() or [f"exit code {proc.returncode}"]
            raise ScaleBenchError(f"bench scale at {n} tracks failed: {lines[-1].removeprefix('error: ')}")
        out["sizes"][str(n)] = json.loads(proc.stdout.strip().splitlines()[-1])
    largest = out["sizes"][str(max(sizes))]
    out.update({
        "store": "server" if settings.chroma_url else "embedded",
        "cpus": os.cpu_count(),
        "loadavg_1m_before": round(load_before, 2),
        "target_filtered_p95_ms": TARGET_FILTERED_P95_MS,
        "target_speedup": TARGET_SPEEDUP,
        "largest_meets_targets": bool(largest["filtered_p95_ms"] < TARGET_FILTERED_P95_MS
                                      and (largest["speedup"] or 0) >= TARGET_SPEEDUP),
    })
    return out


def _main(argv: list[str]) -> int:
    from retrieval.bench_scale import bench_size

    try:
        result = bench_size(get_settings(), int(argv[0]), playlist_timer=playlist_times, progress="--quiet" not in argv)
    except SegueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
