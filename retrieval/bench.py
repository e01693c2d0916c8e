"""`segue bench ingest`: a full-catalog ingest into a fresh temporary index, then a no-change re-ingest.

Targets on 2 cores: full ingest under 120 s, no-change re-ingest under 5 s (`reingest_s`: a new process,
as `segue ingest` runs; `reingest_in_process_s`: the same call again in this process). The embedded store is always
used so that the benchmark never writes into a shared Chroma server.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from retrieval.settings import Settings, get_settings


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reingest_in_new_process(settings: Settings) -> float:
    """Wall time of a no-change ingest as `segue ingest` runs it: a fresh interpreter, imports included."""
    env = {**os.environ, "SEGUE_DATA_DIR": str(settings.data_dir), "SEGUE_CATALOG": str(settings.catalog)}
    env.pop("SEGUE_CHROMA_URL", None)
    script = ("from retrieval.ingest import ingest; from retrieval.settings import get_settings; "
              "r = ingest(get_settings(), progress=False); assert r.embedded == 0, r")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    return time.perf_counter() - start


def bench_ingest(settings: Settings | None = None, *, progress: bool = True) -> dict[str, Any]:
    from retrieval.ingest import ingest

    base = settings or get_settings()
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="segue-bench-ingest-"))
    try:
        run = base.model_copy(update={"data_dir": tmp / "data", "chroma_url": None})
        start = time.perf_counter()
        full = ingest(run, progress=progress)
        total_s = time.perf_counter() - start
        start = time.perf_counter()
        again = ingest(run, progress=progress)
        reingest_in_process_s = time.perf_counter() - start
        reingest_s = _reingest_in_new_process(run)
        disk_mb = sum(f.stat().st_size for f in (tmp / "data").rglob("*") if f.is_file()) / 2**20
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "tracks": full.tracks,
        "embedded": full.embedded,
        "embed_per_s": round(full.embedded / total_s, 1),
        "total_s": round(total_s, 1),
        "reingest_s": round(reingest_s, 2),
        "reingest_in_process_s": round(reingest_in_process_s, 3),
        "reingest_embedded": again.embedded,
        "disk_mb": round(disk_mb, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "threads": run.threads,
        "cpus": os.cpu_count(),
        "loadavg_1m_before": round(load_before, 2),
    }
