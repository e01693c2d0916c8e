"""`segue bench load`: simulated listeners driving the running web UI over HTTP, each in its own session.

Every listener is a thread with its own `gradio_client.Client`, hence its own Gradio session, chat and
playlist on the server. Listener i asks for songs from its own year (years a few apart, distinct across
listeners), then refines the playlist, starts a new chat, and so on until the time is up. Each answer
is checked to belong to its own conversation:

- the chat shown holds only this listener's messages, the last one being the message just sent;
- the playlist was asked for this listener's year (the spec in the reply data the UI returns), and the
  table shows that playlist; a playlist asked for another listener's year is a leak. Without reply data
  the tracks' median year decides, nearest listener's year wins (the years are spaced apart for that);
- "make it 8 tracks" gives 8 rows.

Loopback only: the driver refuses any other host, so it can never load someone else's server.
"""

from __future__ import annotations

import ipaddress
import os
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from retrieval.errors import SegueError

DEFAULT_URL = "http://127.0.0.1:7860"
LATEST_YEAR = 2019  # the default catalog's last full year; older years have fewer tracks
YEAR_COLUMN = 3  # "Year" in the UI table (assistant.ui_support.TABLE_HEADERS)
REFINEMENTS = ("make it 8 tracks", "more upbeat", "calmer", "no more than one song per artist")
REQUEST_TIMEOUT_S = 180.0  # one request may wait behind every other listener's in the UI's queue
MAX_REQUESTS = 10_000
SAMPLES_KEPT = 5


class LoadTargetError(SegueError):
    """The load driver was pointed somewhere it must not go."""


def check_loopback(url: str) -> str:
    """`url` without a trailing slash; LoadTargetError unless it is http(s) on a loopback address."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme not in ("http", "https") or not loopback:
        raise LoadTargetError(f"bench load only drives a UI on this machine (http://127.0.0.1:PORT), not {url!r}")
    return url.rstrip("/")


def listener_years(users: int) -> list[int]:
    """One year per listener, spaced so that a playlist with relaxed years stays nearest its own year."""
    spacing = max(2, min(4, 40 // max(users, 1)))
    return [LATEST_YEAR - spacing * i for i in range(users)]


# ------------------------------------------------------------------------------------------ checks


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _years(table: Any) -> list[int]:
    rows = table.get("data", []) if isinstance(table, dict) else []
    return [int(row[YEAR_COLUMN]) for row in rows if len(row) > YEAR_COLUMN and str(row[YEAR_COLUMN]).isdigit()]


def rows_of(table: Any) -> int:
    return len(table.get("data", [])) if isinstance(table, dict) else 0


def owner_year(years: list[int], candidates: list[int]) -> int | None:
    """The candidate year nearest the median of `years` (None without years)."""
    if not years:
        return None
    median = statistics.median(years)
    return min(candidates, key=lambda y: (abs(y - median), y))


def leaks_in(chat: list[dict[str, Any]], table: Any, sent: list[str], own_year: int, all_years: list[int],
             data: Any = None) -> list[str]:
    """Why this answer belongs to another conversation (empty when it is this listener's own).

    `data` is the reply data the UI returns beside the chat (assistant.ui_support.reply_data): when it holds
    the playlist's spec, the year asked for says exactly whose playlist it is; without it, the tracks' median
    year does."""
    out = []
    shown = [_text(m) for m in chat if m.get("role") == "user"]
    foreign = [s for s in shown if s not in sent]
    if foreign:
        out.append(f"the chat shows a message this listener never sent: {foreign[0][:60]!r}")
    playlist = data.get("playlist") if isinstance(data, dict) else None
    if isinstance(playlist, dict) and isinstance(playlist.get("spec"), dict):
        asked = playlist["spec"].get("year_min")
        if asked != own_year and asked in all_years:
            out.append(f"the playlist was asked for {asked}, another listener's year, not {own_year}")
        titles = [row[1] for row in table.get("data", [])] if isinstance(table, dict) else []
        if titles != [t.get("title") for t in playlist.get("tracks", [])]:
            out.append("the table shows other tracks than the reply's playlist")
        return out
    owner = owner_year(_years(table), all_years)
    if owner is not None and owner != own_year:
        out.append(f"the playlist centres on {owner}, another listener's year, not {own_year}")
    return out


# ------------------------------------------------------------------------------------------ the run


@dataclass
class _Stats:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0
    unexpected: int = 0
    leaks: int = 0
    error_samples: list[str] = field(default_factory=list)
    leak_samples: list[str] = field(default_factory=list)
    unexpected_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, endpoint: str, ms: float | None, *, error: str | None = None, unexpected: str | None = None,
               leaks: Sequence[str] = ()) -> None:
        """One request (`ms` None: none was sent, e.g. the session could not be opened)."""
        with self.lock:
            if ms is not None:
                self.requests += 1
                self.latencies_ms.setdefault(endpoint, []).append(ms)
            if error:
                self.errors += 1
                _keep(self.error_samples, error)
            if unexpected:
                self.unexpected += 1
                _keep(self.unexpected_samples, unexpected)
            if leaks:
                self.leaks += 1
                _keep(self.leak_samples, leaks[0])


def _keep(samples: list[str], sample: str) -> None:
    if len(samples) < SAMPLES_KEPT:
        samples.append(sample)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else 0.0


class _Listener(threading.Thread):
    def __init__(self, number: int, url: str, years: list[int], deadline: float, stats: _Stats, budget: _Budget,
                 timeout: float, auth: tuple[str, str] | None) -> None:
        super().__init__(name=f"listener-{number}", daemon=True)
        self.number, self.url, self.years, self.year = number, url, years, years[number]
        self.deadline, self.stats, self.budget, self.timeout, self.auth = deadline, stats, budget, timeout, auth
        self.sent: list[str] = []

    def run(self) -> None:
        from gradio_client import Client

        try:
            client = Client(self.url, verbose=False, download_files=False, auth=self.auth, max_workers=2,
                            analytics_enabled=False)
        except Exception as exc:  # a server that is down, refuses the password or is not a Segue UI
            self.stats.record("connect", None, error=f"connect: {_one_line(exc)}")
            return
        round_ = 0
        while time.monotonic() < self.deadline:
            steps: list[tuple[str, str | None]] = [("/new_chat", None)] if round_ else []
            steps += [("/send", f"songs from {self.year}"),
                      ("/send", REFINEMENTS[(self.number + round_) % len(REFINEMENTS)])]
            self.sent = []
            for endpoint, message in steps:
                if time.monotonic() >= self.deadline or not self.budget.take():
                    return
                if not self.call(client, endpoint, message):
                    return
            round_ += 1

    def call(self, client: Any, endpoint: str, message: str | None = None) -> bool:
        """One request, timed and checked; False when the listener should stop (its session is unusable)."""
        args = () if message is None else (message,)
        if message is not None:
            self.sent.append(message)
        start = time.perf_counter()
        job = client.submit(*args, api_name=endpoint)
        try:
            out = job.result(timeout=self.timeout)
        except Exception as exc:
            job.cancel()
            self.stats.record(endpoint.strip("/"), (time.perf_counter() - start) * 1000,
                              error=f"{endpoint}: {_one_line(exc) or type(exc).__name__}")
            return not isinstance(exc, TimeoutError)
        ms = (time.perf_counter() - start) * 1000
        parts = list(out) if isinstance(out, (list, tuple)) else []
        chat = parts[0] if parts else []
        table = parts[1] if len(parts) > 1 else None
        data = parts[2] if len(parts) > 2 else None  # the reply data of assistant.ui_support.reply_data
        if message is None:  # a new chat: empty screen
            problem = None if not chat and rows_of(table) == 0 else "a new chat still shows messages or tracks"
            self.stats.record("new_chat", ms, unexpected=problem)
            return True
        reply = next((_text(m) for m in reversed(chat) if m.get("role") == "assistant"), "")
        users = [_text(m) for m in chat if m.get("role") == "user"]
        error = f"/send {message!r}: {reply[:150]}" if reply.startswith("Error") else None
        problem = None
        if not users or users[-1] != message:
            problem = f"the chat does not end with {message!r}"
        elif rows_of(table) == 0:
            problem = f"no playlist after {message!r}"
        elif message == "make it 8 tracks" and rows_of(table) != 8:
            problem = f"{rows_of(table)} rows after {message!r}"
        leaks = leaks_in(chat, table, self.sent, self.year, self.years, data)
        self.stats.record("send", ms, error=error, leaks=leaks, unexpected=problem)
        return True


class _Budget:
    """The most requests all listeners may still start (the run is bounded in count as well as time)."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def _check_up(url: str) -> None:
    import httpx

    try:
        httpx.get(url, timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise LoadTargetError(f"no UI answers at {url} ({_one_line(exc)}): start it with `segue ui` or fix --url") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def bench_load(url: str = DEFAULT_URL, users: int = 20, seconds: float = 60.0, *,
               timeout: float = REQUEST_TIMEOUT_S, max_requests: int = MAX_REQUESTS,
               password: str | None = None) -> dict[str, Any]:
    """Drive the UI at `url` with `users` concurrent listeners for `seconds`; requests already sent then
    finish (each within `timeout`). Returns requests, errors, p50/p95 latency (ms), leaks and details."""
    url = check_loopback(url)
    if users < 1 or seconds <= 0 or max_requests < 1:
        raise LoadTargetError("bench load needs at least 1 user, a positive duration and at least 1 request")
    _check_up(url)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # gradio_client would otherwise look up the Hugging Face hub
    years = listener_years(users)
    stats, budget = _Stats(), _Budget(max_requests)
    start = time.monotonic()
    auth = ("segue", password) if password else None
    listeners = [_Listener(i, url, years, start + seconds, stats, budget, timeout, auth) for i in range(users)]
    for listener in listeners:
        listener.start()
    end = start + seconds + timeout + 30  # a listener's last request starts before the deadline
    for listener in listeners:
        listener.join(max(0.0, end - time.monotonic()))
    elapsed = time.monotonic() - start
    every = [ms for values in stats.latencies_ms.values() for ms in values]
    return {
        "url": url,
        "users": users,
        "seconds": seconds,
        "elapsed_s": round(elapsed, 1),
        "requests": stats.requests,
        "errors": stats.errors,
        "unexpected": stats.unexpected,
        "leaks": stats.leaks,
        "p50_ms": round(_percentile(every, 0.5), 1),
        "p95_ms": round(_percentile(every, 0.95), 1),
        "max_ms": round(max(every, default=0.0), 1),
        "requests_per_s": round(stats.requests / elapsed, 2) if elapsed > 0 else 0.0,
        "by_endpoint": {name: {"requests": len(values), "p50_ms": round(_percentile(values, 0.5), 1),
                               "p95_ms": round(_percentile(values, 0.95), 1)}
                        for name, values in sorted(stats.latencies_ms.items())},
        "listener_years": years,
        "error_samples": stats.error_samples,
        "unexpected_samples": stats.unexpected_samples,
        "leak_samples": stats.leak_samples,
        "unfinished_listeners": sum(listener.is_alive() for listener in listeners),
    }
