"""`segue eval conversations`: real CPCD conversations replayed through the chat, turn by turn.

In a CPCD dialog a listener builds one playlist over several turns ("add some Madonna", "I like Roxette", "these
are great!"). The suite sends every user turn to a fresh `Chat` (metadata text, no LLM) and measures what the
listener would notice: exceptions, latency per turn, what each later turn was read as, and above all how often
a later turn threw the playlist away for a new one (`new_playlist_share`). Some later turns do ask for another
playlist, so 0 is not the goal; a high share means follow-ups are misread as fresh requests. An edit that left every
track in place (`unchanged_edits`: a refinement, steer or exclusion the playlist already met, so the listener saw
"every track already fits") is counted per action: some are right, but each is a turn that asked for a change and
saw none. When a later turn names artists for the playlist (`more_like` with artists new to its spec, "can I get
some Prince?"), `named_artist_added` is the share of those turns whose added tracks include one of them, and
`named_artist_all_added` the share whose added tracks include every one of them. No weight is fitted on it, but
the chat's phrasings were written after reading its turns: its figure is in-sample. No playlist is scored against
the dialog's goal (`segue eval cpcd` does that).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.cpcd import DEFAULT_DIALOGS, Dialog, load_dialogs
from evals.report import SuiteResult, run_health
from retrieval.ingest import _progress


# The actions that change the playlist's tracks; `thanks`, `message` and `question` keep them on purpose
EDIT_ACTIONS = frozenset({"refine", "steer", "exclude", "subject", "replace"})


def run_conversations(assistant: Any, dialogs: Sequence[Dialog], progress: bool = True) -> SuiteResult:
    turns = later = new = exceptions = 0
    actions: Counter[str] = Counter()
    unchanged: Counter[str] = Counter()
    named = named_added = named_all = 0
    examples: Counter[str] = Counter()
    latencies: list[float] = []
    with _progress(progress) as bar:
        task = bar.add_task("conversations", total=len(dialogs)) if bar else None
        for dialog in dialogs:
            chat = assistant.start_chat(use_llm=False)
            for text in dialog.user_turns:
                had_playlist = chat.playlist is not None and bool(chat.playlist.tracks)
                before = chat.playlist.track_ids() if chat.playlist is not None else []
                seeds_before = set(chat.playlist.spec.seed_artists) if chat.playlist is not None else set()
                start = time.perf_counter()
                turns += 1
                try:
                    reply = chat.send(text)
                except Exception as exc:  # a crash is the finding; the suite goes on
                    exceptions += 1
                    examples[f"{type(exc).__name__}: {exc}"[:200]] += 1
                    continue
                finally:
                    latencies.append((time.perf_counter() - start) * 1000)
                if had_playlist:
                    later += 1
                    actions[reply.action] += 1
                    new += reply.action == "new"
                    if reply.action in EDIT_ACTIONS and reply.playlist is not None and \
                            reply.playlist.track_ids() == before:
                        unchanged[reply.action] += 1
                    asked = set(reply.playlist.spec.seed_artists) - seeds_before if reply.playlist else set()
                    if reply.action == "more_like" and asked and not reply.playlist.spec.others_only:
                        named += 1
                        came = {t.artist for t in reply.playlist.tracks[len(before):]}
                        named_added += bool(came & asked)
                        named_all += asked <= came
            if bar:
                bar.advance(task)
    payload: dict[str, Any] = {
        "suite": "conversations",
        "n": len(dialogs),
        "turns": turns,
        **run_health(exceptions, examples, latencies),
        "later_turns": later,
        "new_playlist_share": round(new / later, 3) if later else None,
        "later_turn_actions": dict(actions.most_common()),
        "unchanged_edits": dict(unchanged.most_common()),
        "named_artist_turns": named,
        "named_artist_added": round(named_added / named, 3) if named else None,
        "named_artist_all_added": round(named_all / named, 3) if named else None,
    }
    return SuiteResult(payload, {"segue": latencies})


def default_conversations(path: Path | None = None, limit: int | None = None) -> list[Dialog]:
    return load_dialogs(Path(path or DEFAULT_DIALOGS))[0][:limit]
