"""`segue bench llm`: load time, time to first token, generation speed and peak memory of the LLM."""

from __future__ import annotations

import os
import resource
import statistics
import time
from typing import Any

from assistant.llm import LLMClient, create_llm
from assistant.prompts import render_prompt, system_message
from retrieval.settings import Settings, get_settings

TARGET_TTFT_S = 0.5
TARGET_TOKENS_PER_S = 60.0
GENRES = ("jazz", "punk", "synthpop", "bluegrass")


def bench_llm(
    settings: Settings | None = None, *, client: LLMClient | None = None, reply_tokens: int = 100, runs: int = 3
) -> dict[str, Any]:
    """Measure a fresh client (or `client`): one cold request after loading, then `runs` warm ones.

    Each request streams up to `reply_tokens` pieces; a streamed piece is counted as one token
    (llama.cpp and vLLM send one token per chunk). Speed is measured after the first token, so it
    is the decoding rate; the time to first token is reported separately.
    """
    s = settings or get_settings()
    llm = client or create_llm(s)
    load_avg = os.getloadavg()[0]
    load_s = llm.load()

    samples = [_one_reply(llm, GENRES[i % len(GENRES)], reply_tokens) for i in range(runs + 1)]
    cold, warm = samples[0], samples[1:] or samples
    ttft = statistics.median(x["ttft_s"] for x in warm)
    speed = statistics.median(x["tokens_per_s"] for x in warm)
    info = llm.info()
    result: dict[str, Any] = {
        "backend": llm.backend,
        "model": info.get("model") or llm.model,
        "threads": s.llm_threads if llm.backend == "embedded" else None,
        "load_s": round(load_s, 3),
        "ttft_cold_s": round(cold["ttft_s"], 3),
        "ttft_s": round(ttft, 3),
        "tokens_per_s": round(speed, 1),
        "reply_tokens": int(statistics.median(x["tokens"] for x in warm)),
        "runs": len(warm),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "loadavg_1m_before": round(load_avg, 2),
        "meets_targets": ttft < TARGET_TTFT_S and speed >= TARGET_TOKENS_PER_S,
    }
    return result


def _one_reply(llm: LLMClient, genre: str, max_tokens: int) -> dict[str, float]:
    messages = [system_message(), {"role": "user", "content": render_prompt("llm_bench", genre=genre)}]
    start = time.perf_counter()
    stamps = [time.perf_counter() for _ in llm.stream(messages, max_tokens=max_tokens, temperature=0.7)]
    if not stamps:
        return {"ttft_s": time.perf_counter() - start, "tokens_per_s": 0.0, "tokens": 0}
    decode_s = stamps[-1] - stamps[0]
    return {
        "ttft_s": stamps[0] - start,
        "tokens_per_s": (len(stamps) - 1) / decode_s if decode_s > 0 else 0.0,
        "tokens": len(stamps),
    }


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS); this process only, the model included when embedded.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if os.uname().sysname == "Darwin" else peak / 1024
