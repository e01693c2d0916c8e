"""`segue eval requests`: real music requests written by people, through the whole assistant.

No ground truth exists for them (music-ner-eacl2023 queries), so the suite checks what every answer must
be: a playlist or a clear message (a `SegueError`), never a crash; how long it takes; when a request names a
catalog artist, how often that artist is in the playlist (or, for "bands like X", how often X is kept out: the
listener asked for others); when it asks for songs about something ("songs about
losing a friend"), how many of the playlist's titles say it (the catalog has no lyrics: a title is the only
evidence a listener can check); how many playlists had to relax which constraint (what the listener asked
for and did not fully get); and how many listeners were told that the catalog lacks what they named (a genre, an
artist, an "Artist - Title" song) or that the request points at a song it does not name ("like this").
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.corpora import EvalDataError
from evals.report import SuiteResult, run_health
from retrieval.errors import SegueError
from retrieval.index import TrackIndex, artist_key
from retrieval.lexical import fold
from retrieval.ingest import _progress

DATA_DIR = Path(__file__).resolve().parent / "data" / "requests"
MAX_NAME_WORDS = 5
MIN_NAME_CHARS = 3


def default_request_files() -> list[Path]:
    return sorted(DATA_DIR.glob("musicreconer*.csv"))


def load_requests(paths: Sequence[Path]) -> list[str]:
    """The requests of CSV files: column `original` when there is one, else the first column."""
    out: list[str] = []
    for path in paths:
        if not Path(path).is_file():
            raise EvalDataError(f"requests file not found: {path}")
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            continue
        header = rows[0]
        column = header.index("original") if "original" in header else 0
        out += [r[column].strip() for r in rows[1:] if len(r) > column and r[column].strip()]
    if not out:
        raise EvalDataError("no requests found in " + ", ".join(map(str, paths)))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r"'s\b", "", fold(text).replace("&", " and ").replace("’", "'")))


def artist_lookup(index: TrackIndex, common: Callable[[str], bool]) -> dict[str, str]:
    """Folded words of each catalog artist name -> its `artist_key`, without the names made of common words
    ("Love", "The Band"), which requests use as words far more often than as names."""
    out: dict[str, str] = {}
    for name in index.artist_names:
        words = " ".join(_words(name))
        if len(words) >= MIN_NAME_CHARS and len(words.split()) <= MAX_NAME_WORDS and not common(name):
            out[words] = artist_key(name)
    return out


def named_artists(text: str, lookup: dict[str, str]) -> set[str]:
    """The catalog artists a request names verbatim (as `artist_key`s)."""
    words = _words(text)
    spans: list[tuple[int, int, str]] = []
    for n in range(MAX_NAME_WORDS, 0, -1):
        for i in range(len(words) - n + 1):
            key = lookup.get(" ".join(words[i:i + n]))
            # A name inside a longer one ("Queen" in "Queens of the Stone Age") is not a second mention.
            if key and not any(a <= i and i + n <= b for a, b, _ in spans):
                spans.append((i, i + n, key))
    return {key for _, _, key in spans}


def _chat_sender(assistant: Any) -> Callable[[str], Any] | None:
    """A fresh `MusicAssistant.start_chat()` per request, its `send`; None before the chat engine exists."""
    start_chat = getattr(assistant, "start_chat", None)
    return (lambda text: start_chat().send(text)) if callable(start_chat) else None


def run_requests(assistant: Any, requests: Sequence[str], with_text: bool = False,
                 progress: bool = True) -> SuiteResult:
    from assistant.builder import topic_words
    from assistant.lexicon import find_topic, normalize
    from assistant.understand import (ABSENT_GENRE, UNKNOWN_ARTIST, UNKNOWN_REFERENCE, UNKNOWN_SINGER, UNKNOWN_SONG,
                                      UNSEEN_REFERENCE)
    from assistant.vocabulary import Vocabulary, name_key

    index: TrackIndex = assistant.index
    vocab = Vocabulary.for_index(index)
    lookup = artist_lookup(index, lambda name: vocab.is_common(name_key(name)))
    send = _chat_sender(assistant) if with_text else None
    answered = playlists = messages = exceptions = 0
    examples: Counter[str] = Counter()
    latencies: list[float] = []
    asked_artist = artist_present = others_asked = others_kept_out = 0
    relaxations: Counter[str] = Counter()
    subject_shares: list[float] = []
    told: Counter[str] = Counter()
    kinds = {"absent_genre": ABSENT_GENRE, "unknown_artist": UNKNOWN_ARTIST, "unknown_song": UNKNOWN_SONG,
             "unknown_artist_or_song": UNKNOWN_REFERENCE, "unseen_reference": UNSEEN_REFERENCE,
             "unknown_singer": UNKNOWN_SINGER}
    text_note = None
    if with_text and send is None:
        text_note = "skipped: MusicAssistant.start_chat() does not exist yet (the conversation engine)"
    with _progress(progress) as bar:
        task = bar.add_task("requests", total=len(requests)) if bar else None
        for text in requests:
            start = time.perf_counter()
            playlist = None
            notices: list[str] = []
            try:
                if send is not None:
                    reply = send(text)
                    playlist = getattr(reply, "playlist", None)
                    notices = list(getattr(reply, "notices", []))
                else:
                    playlist = assistant.generate_playlist(text)
                    notices = list(playlist.notices)
                told.update(kind for kind, prefix in kinds.items() if any(n.startswith(prefix) for n in notices))
                if playlist is not None and playlist.tracks:
                    playlists += 1
                    answered += 1
                    relaxations.update({r.constraint for r in playlist.relaxed})
                elif send is not None and str(getattr(reply, "text", "") or "").strip():
                    messages += 1
                    answered += 1
            except SegueError:
                messages += 1
                answered += 1
            except Exception as exc:  # a crash is the finding; the suite goes on
                exceptions += 1
                examples[f"{type(exc).__name__}: {exc}"[:200]] += 1
            latencies.append((time.perf_counter() - start) * 1000)
            names = named_artists(text, lookup)
            present = playlist is not None and bool(names & {artist_key(t.artist) for t in playlist.tracks})
            if names and playlist is not None and playlist.spec.others_only:
                others_asked += 1
                others_kept_out += not present
            elif names:
                asked_artist += 1
                artist_present += present
            subjects = find_topic(normalize(text))
            if subjects:
                said = [t for t in playlist.tracks if topic_words(t, subjects[0].value)] if playlist else []
                subject_shares.append(len(said) / len(playlist.tracks) if playlist and playlist.tracks else 0.0)
            if bar:
                bar.advance(task)
    payload: dict[str, Any] = {
        "suite": "requests",
        "n": len(requests),
        "answered": round(answered / len(requests), 3) if requests else 0.0,
        "with_playlist": playlists,
        "with_message": messages,
        **run_health(exceptions, examples, latencies),
        "named_artist_requests": asked_artist,
        "named_artist_in_playlist": round(artist_present / asked_artist, 3) if asked_artist else None,
        "others_only_requests": others_asked,
        "others_only_kept_out": round(others_kept_out / others_asked, 3) if others_asked else None,
        "subject_requests": len(subject_shares),
        "subject_in_titles": round(sum(subject_shares) / len(subject_shares), 3) if subject_shares else None,
        "relaxations": dict(relaxations.most_common()),
        "told_the_catalog_lacks": {kind: told[kind] for kind in kinds},
        "mode": "chat (playlist + text)" if send is not None else "playlists only",
    }
    if text_note:
        payload["with_text"] = text_note
    return SuiteResult(payload, {"segue": latencies})
