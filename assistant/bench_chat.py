"""`segue bench chat`: scripted conversations through `Chat.stream` with the configured LLM (embedded by default).

Per turn: the time until the playlist is available (the first event of the stream: the new `Playlist`, or
the answer for questions) and until the whole reply is done (the explanation written and verified). The
first turn of a warm-up conversation (index, vocabulary and model loading) is reported as `warmup_s` and
not counted. Every turn's message is real follow-up language; "{artist}" stands for an artist of the
current playlist.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from assistant.api import MusicAssistant
from assistant.bench import _progress, percentile
from assistant.chat import Chat, Reply
from assistant.playlist import Playlist
from retrieval.settings import Settings, get_settings

TARGET_PLAYLIST_P95_S = 1.0
TARGET_REPLY_P95_S = 5.0

SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("upbeat pop songs for a party", "more upbeat", "make it 20 minutes", "add more like track 3",
     "remove the second song", "no more {artist}", "only 90s", "swap the last two", "what's the tempo of track 4?",
     "undo"),
    ("chill acoustic songs for a rainy afternoon", "calmer", "shorter", "more like the first one",
     "why is track 2 here?", "drop the last two", "make it 10 songs", "start over", "undo"),
    ("classic rock from the 70s and 80s", "more energetic", "no more {artist}", "add 3 more", "move track 5 to the top",
     "only hits", "sort by tempo", "remove track 1"),
    ("latin reggaeton for a workout, 12 songs", "faster", "happier", "more like track 2", "nothing after 2015",
     "what year is the third song?", "shuffle", "undo"),
)


def bench_chat(settings: Settings | None = None, *, progress: bool = True,
               assistant: MusicAssistant | None = None, llm: Any = None) -> dict[str, Any]:
    from assistant.llm import get_llm

    s = settings or get_settings()
    ma = assistant or MusicAssistant(s)
    client = llm or get_llm(s)
    load_avg = os.getloadavg()[0]

    start = time.perf_counter()
    _, warm = _turn(ma.start_chat(client), "warm-up: a few pop songs")
    warmup_s = time.perf_counter() - start

    turns: list[dict[str, Any]] = []
    with _progress(progress) as bar:
        task = bar.add_task("chat turns", total=sum(map(len, SCRIPTS))) if bar else None
        for n, script in enumerate(SCRIPTS):
            chat = ma.start_chat(client)
            for i, template in enumerate(script):
                message = _fill(template, chat.playlist)
                (first_s, reply_s), reply = _turn(chat, message)
                turns.append({
                    "conversation": n, "turn": i, "message": message, "kind": reply.kind,
                    "playlist_s": round(first_s, 3), "reply_s": round(reply_s, 3),
                    "tracks": len(reply.playlist.tracks) if reply.playlist else 0,
                    "llm_lines": reply.explanation.llm_lines if reply.explanation else 0,
                    "notices": reply.notices,
                })
                if bar:
                    bar.advance(task)
    playlist_times = [t["playlist_s"] for t in turns]
    reply_times = [t["reply_s"] for t in turns]
    playlist_p95, reply_p95 = percentile(playlist_times, 95), percentile(reply_times, 95)
    info = client.info() if client is not None else {"backend": "none"}
    return {
        "turns": len(turns),
        "conversations": len(SCRIPTS),
        "playlist_p50_s": round(percentile(playlist_times, 50), 3),
        "playlist_p95_s": round(playlist_p95, 3),
        "reply_p50_s": round(percentile(reply_times, 50), 3),
        "reply_p95_s": round(reply_p95, 3),
        "reply_mean_s": round(statistics.fmean(reply_times), 3),
        "reply_max_s": round(max(reply_times), 3),
        "target_playlist_p95_s": TARGET_PLAYLIST_P95_S,
        "target_reply_p95_s": TARGET_REPLY_P95_S,
        "meets_targets": playlist_p95 < TARGET_PLAYLIST_P95_S and reply_p95 < TARGET_REPLY_P95_S,
        "warmup_s": round(warmup_s, 2),
        "warmup_kind": warm.kind,
        "kinds": {k: sum(t["kind"] == k for t in turns) for k in ("playlist", "answer", "message")},
        "llm_lines_shown": sum(t["llm_lines"] for t in turns),
        "lines_shown": sum(t["tracks"] for t in turns if t["kind"] == "playlist"),
        "llm": {k: info.get(k) for k in ("backend", "model", "threads", "url") if info.get(k) is not None},
        "catalog_tracks": len(ma.index),
        "load_avg_1min": round(load_avg, 2),
        "per_turn": turns,
    }


def _fill(template: str, playlist: Playlist | None) -> str:
    artist = playlist.tracks[0].artist if playlist is not None and playlist.tracks else "Drake"
    return template.replace("{artist}", artist)


def _turn(chat: Chat, message: str) -> tuple[tuple[float, float], Reply]:
    """(seconds to the first event, seconds to the reply) and the reply of one message."""
    start = time.perf_counter()
    first: float | None = None
    reply = None
    for event in chat.stream(message):
        if first is None:
            first = time.perf_counter() - start
        reply = event
    assert isinstance(reply, Reply) and first is not None
    return (first, time.perf_counter() - start), reply
