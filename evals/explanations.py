"""`segue eval explanations`: how often the LLM's explanation sentences are ungrounded, before and after
verification.

For real requests (the first N of the requests CSV) the assistant builds a short playlist and
`assistant.explain.explain` has the LLM write an introduction and one line per track. "Ungrounded" means
the verifier finds that a sentence names an artist or title outside the playlist, or states a year, tempo,
count, genre or mood the metadata contradicts. Before: the model's raw sentences. After: the sentences the
listener is shown (kept model sentences and metadata fallbacks), checked again from the final text.
The judge is Segue's own verifier (no independent judge runs offline), so "after" measures that nothing
unverified slips through, and "before" how much the verifier has to remove.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from evals.report import SuiteResult
from retrieval.errors import SegueError
from retrieval.ingest import _progress

NAME_REASONS = frozenset({"wrong_track", "unknown_name"})
CONTRADICTION_REASONS = frozenset({"year", "tempo", "count", "genre", "mood"})
UNGROUNDED = NAME_REASONS | CONTRADICTION_REASONS
TRACKS_PER_PLAYLIST = 5
BUDGET_S = 120.0  # per playlist: every line is generated, the eval measures the model, not the time limit


def run_explanations(assistant: Any, llm: Any, requests: Sequence[str], tracks: int = TRACKS_PER_PLAYLIST,
                     progress: bool = True) -> SuiteResult:
    from assistant.explain import Vocabulary, explain, verify_text

    index = assistant.index
    vocabulary = Vocabulary.from_index(index)
    raw: Counter[str] = Counter()  # reason (or "ok") of every model sentence
    shown = shown_bad = playlists = llm_lines = lines = 0
    seconds: list[float] = []
    with _progress(progress) as bar:
        task = bar.add_task("explanations", total=len(requests)) if bar else None
        for text in requests:
            try:
                playlist = assistant.generate_playlist(text, n_tracks=tracks)
            except SegueError:
                playlist = None
            if playlist is not None and playlist.tracks:
                playlists += 1
                result = explain(playlist, llm, vocabulary=vocabulary, request=text, budget_s=BUDGET_S)
                seconds.append(result.seconds)
                raw.update(c.reason or "ok" for c in result.checks)
                final = verify_text(result.intro, playlist.tracks, vocabulary)
                for t in playlist.tracks:
                    final += verify_text(result.lines[t.track_id], playlist.tracks, vocabulary, track=t)
                shown += len(final)
                shown_bad += sum(c.reason in UNGROUNDED for c in final)
                llm_lines += result.llm_lines
                lines += len(playlist.tracks)
            if bar:
                bar.advance(task)
    sentences = sum(raw.values())
    ungrounded = sum(n for reason, n in raw.items() if reason in UNGROUNDED)
    payload = {
        "suite": "explanations",
        "n": playlists,
        "sentences": sentences,
        "ungrounded_before": round(ungrounded / sentences, 3) if sentences else 0.0,
        "ungrounded_after": round(shown_bad / shown, 3) if shown else 0.0,
        "names_outside_playlist_before": sum(raw[r] for r in NAME_REASONS),
        "contradictions_before": sum(raw[r] for r in CONTRADICTION_REASONS),
        "other_drops_before": sum(n for r, n in raw.items() if r != "ok" and r not in UNGROUNDED),
        "by_reason": dict(raw.most_common()),
        "shown_sentences": shown,
        "llm_written_lines": round(llm_lines / lines, 3) if lines else 0.0,
        "seconds_per_playlist": round(sum(seconds) / len(seconds), 2) if seconds else 0.0,
        "llm": "none (metadata text only)" if llm is None else type(llm).__name__,
    }
    return SuiteResult(payload, {})
