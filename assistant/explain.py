"""Explanations: an LLM-written introduction and one line per track, verified against the metadata.

Code owns the facts; the model only adds wording. The catalog fields go into the prompts as quoted data
inside a `<data>` block, and everything the model writes is split into sentences and checked by
`Verifier`: a sentence that names an artist or title outside the playlist, states a year, tempo, count,
genre or mood that the metadata contradicts, makes a claim the metadata cannot support (albums, bands,
lyrics, nationality), echoes instructions, or is cut off or garbled is dropped. A dropped track line is
replaced by `metadata_line`, a dropped introduction by `metadata_intro`, so the text always reads whole.

The embedded model is slow on a shared CPU, so generation is bounded: the introduction is at most
`INTRO_MAX_TOKENS`, each track line stops at its first sentence, and lines are only generated while the
time budget allows; the remaining tracks get their metadata line.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.grounding import (
    MAX_FIELD_CHARS,
    Scope,
    SentenceCheck,
    Verifier,
    Vocabulary,
    blanked_names,
    sanitize,
    sound_words,
    split_sentences,
    tempo_word,
    tidy,
    verify_text,
)
from assistant.llm import LLMClient, LLMError
from assistant.playlist import Playlist
from assistant.prompts import load_prompt
from retrieval.catalog import Track
from retrieval.index import TrackIndex

__all__ = ["Explainer", "Explanation", "IntroSentence", "LabelNames", "TrackLine", "Vocabulary", "explain",
           "metadata_intro", "metadata_line", "verify_text"]  # Vocabulary and verify_text are re-exported for the evals

INTRO_MAX_TOKENS = 48
LINE_MAX_TOKENS = 28
LINE_EXPECTED_TOKENS = 40  # the first line of a reply (its prompt is not cached yet), in generated-token times
INTRO_MAX_SENTENCES = 2
DEFAULT_BUDGET_S = 3.5  # intro + lines; the chat adds the playlist build to stay under ~5 s a reply
INTRO_PREFILL = "This playlist"
LINE_PREFILL = "A"
UNAVAILABLE = "The language model is unavailable ({reason}); showing explanations built from the metadata."

Source = Literal["llm", "metadata"]

def quoted(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return json.dumps(sanitize(text, limit), ensure_ascii=False)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def join_and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class LabelNames:
    """Which of its genre labels names a track in a playlist. The default catalog's labels are those of the
    playlists a song was found in, in the order the source file lists them, so a song may carry several: one
    "Sweet Home Alabama" is filed under southern hip hop, album rock and classic rock, and was "an upbeat southern
    hip hop track" in a rock playlist. A label the request asked for comes first (it is why the track is there),
    then those of the genre its artist's tracks carry in the catalog (`vocab`), each kind in the track's own
    order; subgenres before genres. Only a genre two thirds of the artist's tracks carry counts: the catalog
    files Rihanna under latin, edm, pop and r&b alike."""

    asked: frozenset[str] = frozenset()
    vocab: Vocabulary | None = None

    @classmethod
    def for_playlist(cls, playlist: Playlist, vocab: Vocabulary | None = None) -> LabelNames:
        return cls(frozenset(g.lower() for g in playlist.spec.genres), vocab)

    def ordered(self, track: Track) -> list[str]:
        names = self.vocab.names if self.vocab is not None else None
        parents = names.label_parents if names is not None else {}
        artist_genre = names.artist_labels.main_genre(track.artist) if names is not None and names.artist_labels \
            else None

        def rank(label: str) -> tuple[bool, bool]:
            genre = parents.get(label, label)
            return (label.lower() not in self.asked and genre.lower() not in self.asked, genre != artist_genre)
        return [*sorted(dict.fromkeys(track.subgenres), key=rank), *sorted(dict.fromkeys(track.genres), key=rank)]

    def main(self, track: Track) -> str | None:
        labels = self.ordered(track)
        return labels[0] if labels else None


def join_prefill(prefill: str, continuation: str) -> str:
    """The model's text after an assistant prefill. A backend that ignores prefills starts a fresh reply
    (capitalised, or repeating the prefill): then that reply is used as it is."""
    if continuation.lstrip().lower().startswith(prefill.lower()):
        return continuation.lstrip()
    if continuation[:1].isspace() or continuation[:1] in ",;:'-" or continuation[:1].islower():
        return prefill + continuation
    return continuation


# -------------------------------------------------------------------------------------- metadata text


def metadata_line(track: Track, n: int = 0, labels: LabelNames | None = None) -> str:
    """A line about the track built from its metadata alone; `n` varies the wording down a list, `labels` picks
    the genre named (its own first label without them)."""
    mood = sound_words(track)[:2]
    pace = tempo_word(track.tempo)
    genre = (labels or LabelNames()).main(track) or "track"
    year = f" from {track.year}" if track.year else ""
    bpm = f"{round(track.tempo)} BPM" if track.tempo else ""
    if not mood:
        mood = [pace] if pace else []
    form = n % 3
    if form == 0 or not mood:
        head = f"{', '.join(mood)} {genre}".strip() if mood else genre
        line = f"{head[:1].upper()}{head[1:]}{year}" + (f", at {bpm}" if bpm else "")
    elif form == 1:
        words = f"{', '.join(mood)} {genre}" + ("" if genre == "track" else " track")
        line = f"{_article(words).capitalize()} {words}{year}" + (f" ({bpm})" if bpm else "")
    else:
        line = f"{genre[:1].upper()}{genre[1:]}{year} with {_article(mood[0])} {' and '.join(mood)} feel" + (
            f", {bpm}" if bpm else "")
    return line + "."


def metadata_intro(tracks: Sequence[Track], labels: LabelNames | None = None) -> str:
    """The introduction built from the playlist's metadata alone."""
    if not tracks:
        return "The playlist is empty."
    minutes = round(sum(t.duration_ms or 0 for t in tracks) / 60000)
    names = labels or LabelNames()
    counts = Counter(label for t in tracks if (label := names.main(t)))
    years = [t.year for t in tracks if t.year]
    moods = Counter(w for t in tracks for w in sound_words(t))
    unique: dict[str, str] = {}
    for t in tracks:
        unique.setdefault(t.artist.casefold(), t.artist)
    artists = list(unique.values())
    text = (f"Here are {len(tracks)} tracks" if len(tracks) != 1 else "Here is 1 track") + (
        f" ({minutes} min)" if minutes else "")
    if counts:
        text += " of " + join_and([g for g, _ in counts.most_common(2)])
    if years:
        text += f" from {min(years)}" if min(years) == max(years) else f" from {min(years)}–{max(years)}"
    common = [w for w, c in moods.most_common(2) if c * 2 >= len(tracks)]
    if common:
        text += ", mostly " + " and ".join(common)
    shown = [sanitize(a, 40) for a in artists[:3]]
    text += ", with " + join_and(shown) + (" and more" if len(artists) > 3 else "")
    return text + "."


def track_heading(n: int, track: Track) -> str:
    year = f" ({track.year})" if track.year else ""
    return f"{n}. \"{sanitize(track.title)}\" — {sanitize(track.artist, 60)}{year}"


# ------------------------------------------------------------------------------------------- prompts


def intro_data(tracks: Sequence[Track], request: str = "") -> str:
    """The facts of the introduction prompt, as a delimited data block of quoted values. No names: asked for
    the feel of the playlist rather than its artists, the small model invents far fewer of them."""
    labels = Counter(g for t in tracks for g in (*t.subgenres, *t.genres))
    years = [t.year for t in tracks if t.year]
    moods = Counter(w for t in tracks for w in sound_words(t))
    lines = []
    if request.strip():
        lines.append(f"request: {quoted(request, 160)}")
    lines.append(f"tracks: {len(tracks)}")
    if years:
        lines.append(f"years: {min(years)}-{max(years)}")
    if labels:
        lines.append("genres: " + ", ".join(quoted(g, 40) for g, _ in labels.most_common(2)))
    common = [w for w, c in moods.most_common(3) if c * 2 >= len(tracks)]
    if common:
        lines.append("sound: " + ", ".join(common))
    return "<data>\n" + "\n".join(lines) + "\n</data>"


def track_data(track: Track, labels: LabelNames | None = None) -> str:
    """The facts of one track's prompt, as a delimited data block of quoted values; the genres are the first two
    `labels` name it by."""
    lines = [f"title: {quoted(track.title)}", f"artist: {quoted(track.artist, 60)}"]
    if track.year:
        lines.append(f"year: {track.year}")
    genres = (labels or LabelNames()).ordered(track)[:2]
    if genres:
        lines.append("genre: " + ", ".join(sanitize(g, 30) for g in genres))
    if track.tempo:
        lines.append(f"tempo: {round(track.tempo)} BPM")
    sound = [*sound_words(track), *([tempo_word(track.tempo)] if track.tempo else [])]
    if sound:
        lines.append("sound: " + ", ".join(w for w in sound if w))
    return "<data>\n" + "\n".join(lines) + "\n</data>"


def intro_messages(tracks: Sequence[Track], request: str = "") -> list[dict[str, str]]:
    return [{"role": "system", "content": load_prompt("explain_intro")},
            {"role": "user", "content": intro_data(tracks, request)},
            {"role": "assistant", "content": INTRO_PREFILL}]


def track_messages(track: Track, labels: LabelNames | None = None) -> list[dict[str, str]]:
    return [{"role": "system", "content": load_prompt("explain_track")},
            {"role": "user", "content": load_prompt("explain_track_example")},
            {"role": "assistant", "content": load_prompt("explain_track_example_answer")},
            {"role": "user", "content": track_data(track, labels)},
            {"role": "assistant", "content": LINE_PREFILL}]


# ---------------------------------------------------------------------------------------- explanation


@dataclass
class Explanation:
    """The verified explanation of a playlist, with what the model wrote and what the verifier did."""

    intro: str
    lines: dict[str, str]  # track_id -> final line
    sources: dict[str, Source]  # track_id -> who wrote the final line
    intro_source: Source = "metadata"
    raw_intro: str = ""
    raw_lines: dict[str, str] = field(default_factory=dict)  # track_id -> the model's text, unverified
    checks: list[SentenceCheck] = field(default_factory=list)  # every model sentence with its verdict
    notices: list[str] = field(default_factory=list)
    skipped_for_time: int = 0  # tracks whose line was not generated within the time budget
    seconds: float = 0.0

    @property
    def raw_sentences(self) -> list[str]:
        return [c.text for c in self.checks]

    @property
    def verified_sentences(self) -> list[str]:
        return [c.text for c in self.checks if c.ok]

    @property
    def dropped(self) -> int:
        return sum(not c.ok for c in self.checks)

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        return dict(Counter(c.reason for c in self.checks if c.reason))

    @property
    def llm_lines(self) -> int:
        return sum(s == "llm" for s in self.sources.values())

    def text(self, tracks: Sequence[Track]) -> str:
        """The introduction and one numbered line per track."""
        body = [f"{track_heading(i, t)}: {self.lines.get(t.track_id, metadata_line(t, i - 1))}"
                for i, t in enumerate(tracks, 1)]
        return "\n".join([self.intro, "", *body]) if body else self.intro


@dataclass(frozen=True)
class IntroSentence:
    """A verified sentence of the introduction, as soon as it is complete."""

    text: str


@dataclass(frozen=True)
class TrackLine:
    n: int
    track_id: str
    text: str
    source: Source


ExplainEvent = IntroSentence | TrackLine | Explanation


class Explainer:
    """Writes and verifies explanations with one LLM over one catalog vocabulary."""

    def __init__(self, llm: LLMClient | None, vocabulary: Vocabulary, *, budget_s: float = DEFAULT_BUDGET_S) -> None:
        self.llm = llm
        self.verifier = Verifier(vocabulary)
        self.budget_s = budget_s
        self.token_s = 0.0  # seconds per generated piece, last measured: predicts whether a line still fits

    def explain(self, playlist: Playlist, request: str = "", budget_s: float | None = None) -> Explanation:
        for event in self.stream(playlist, request, budget_s):
            if isinstance(event, Explanation):
                return event
        raise AssertionError("stream ends with an Explanation")

    def stream(self, playlist: Playlist, request: str = "", budget_s: float | None = None, *,
               intro: tuple[str, Source] | None = None,
               known: Mapping[str, tuple[str, Source]] | None = None) -> Iterator[ExplainEvent]:
        """Verified intro sentences, then one line per track, then the whole `Explanation` (always last).
        `intro` and `known` (track_id -> line) are reused as they are: an edit of a playlist only pays for
        the text of what changed."""
        start = time.perf_counter()
        budget = self.budget_s if budget_s is None else budget_s
        tracks = playlist.tracks
        labels = LabelNames.for_playlist(playlist, self.verifier.vocab)
        result = Explanation(intro="", lines={}, sources={})
        llm = self.llm if tracks else None
        known = known or {}

        kept: list[str] = []
        if intro is not None:
            result.intro, result.intro_source = intro
            yield IntroSentence(result.intro)
        elif llm is not None:
            try:
                for sentence in self._intro_sentences(llm, tracks, request, result, start + budget):
                    kept.append(sentence)
                    yield IntroSentence(sentence)
            except LLMError as exc:
                result.notices.append(UNAVAILABLE.format(reason=exc))
                llm = None
        if intro is None and kept:
            result.intro, result.intro_source = " ".join(kept), "llm"
        elif intro is None:
            result.intro = metadata_intro(tracks, labels)
            yield IntroSentence(result.intro)

        line_times: list[float] = []
        for n, track in enumerate(tracks, 1):
            if track.track_id in known:
                text, source = known[track.track_id]
                result.lines[track.track_id], result.sources[track.track_id] = text, source
                yield TrackLine(n, track.track_id, text, source)
                continue
            line: str | None = None
            elapsed = time.perf_counter() - start
            expected = max(line_times) if line_times else self.token_s * LINE_EXPECTED_TOKENS
            if llm is not None and elapsed + expected > budget:
                result.skipped_for_time += 1
            elif llm is not None:
                t0 = time.perf_counter()
                try:
                    line = self._track_line(llm, track, tracks, labels, result)
                except LLMError as exc:
                    result.notices.append(UNAVAILABLE.format(reason=exc))
                    llm = None
                line_times.append(time.perf_counter() - t0)
            source = "llm" if line else "metadata"
            result.lines[track.track_id] = line or metadata_line(track, n - 1, labels)
            result.sources[track.track_id] = source
            yield TrackLine(n, track.track_id, result.lines[track.track_id], source)
        result.seconds = time.perf_counter() - start
        yield result

    def _intro_sentences(self, llm: LLMClient, tracks: Sequence[Track], request: str, result: Explanation,
                         deadline: float) -> Iterator[str]:
        """Verified sentences of the model's introduction as they complete; generation stops at the deadline
        (an unfinished sentence is then dropped as cut off)."""
        scope = Scope.for_playlist(tracks)
        raw, pending, kept, seen, pieces = "", "", 0, 0, 0
        began = time.perf_counter()
        chunks = llm.stream(intro_messages(tracks, request), max_tokens=INTRO_MAX_TOKENS, temperature=0.3)
        try:
            for chunk in chunks:
                raw += chunk
                pieces += 1
                text = join_prefill(INTRO_PREFILL, raw)
                done, pending = split_sentences(text, scope.names)
                for sentence in done[seen:]:
                    seen += 1
                    check = self.verifier.check(tidy(sentence), scope)
                    result.checks.append(check)
                    if check.ok:
                        kept += 1
                        yield check.text
                if kept >= INTRO_MAX_SENTENCES or time.perf_counter() > deadline:
                    break
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        self.token_s = (time.perf_counter() - began) / max(pieces, 1)
        result.raw_intro = join_prefill(INTRO_PREFILL, raw)
        if pending and kept < INTRO_MAX_SENTENCES:
            check = self.verifier.check(tidy(pending), scope)
            result.checks.append(check)
            if check.ok:
                yield check.text

    def _track_line(self, llm: LLMClient, track: Track, tracks: Sequence[Track], labels: LabelNames,
                    result: Explanation) -> str | None:
        raw = ""
        names = blanked_names(tracks)
        chunks = llm.stream(track_messages(track, labels), max_tokens=LINE_MAX_TOKENS, temperature=0.2)
        try:
            for chunk in chunks:
                raw += chunk
                done, _ = split_sentences(join_prefill(LINE_PREFILL, raw), names)
                if done:
                    break
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        text = join_prefill(LINE_PREFILL, raw).strip()
        result.raw_lines[track.track_id] = text
        done, rest = split_sentences(text + " ", names)
        sentence = done[0] if done else rest
        if not sentence:
            return None
        check = self.verifier.check(tidy(sentence), Scope.for_track(track, tracks))
        result.checks.append(check)
        return check.text if check.ok else None


def explain(playlist: Playlist, llm: LLMClient | None, *, index: TrackIndex | None = None,
            vocabulary: Vocabulary | None = None, request: str = "", budget_s: float = DEFAULT_BUDGET_S) -> Explanation:
    """The verified explanation of `playlist`. Names are checked against the catalog of `index` (or the given
    `vocabulary`; with neither, only the playlist's own names are known). `llm=None` gives metadata text only."""
    vocab = vocabulary or (Vocabulary.from_index(index) if index is not None
                           else Vocabulary.from_tracks(playlist.tracks))
    return Explainer(llm, vocab, budget_s=budget_s).explain(playlist, request or playlist.spec.description)

