"""Conversation: a `Chat` holds the current playlist (with its spec) and every earlier version.

Each message becomes one `Edit` (assistant.refine; it may carry a second, applied after it as one version); code
applies it to the spec and the track list, so the playlist is always real catalog tracks meeting the spec, and only
then does the LLM add wording (assistant.explain, verified sentence by sentence). `Chat.stream` yields the new
`Playlist` before any LLM call, then the text as `str` chunks as it is verified, then the `Reply`; the chunks join
to `Reply.text`.

Within a chat, a track the listener removed (or whose artist they turned down) never comes back, not
even after "start over", unless the listener names it again ("add ..."); only "undo" restores the exact
previous state, bans included.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from assistant.builder import (
    GENRES,
    LENGTH,
    MAX_PER_ARTIST,
    ORDER_WORDS,
    POPULARITY,
    SEED_ARTISTS,
    TRACK_MINUTES,
    YEAR,
    artist_caps,
    describe_length,
    describe_range,
    format_duration,
    is_remix,
    is_seasonal,
    reason_line,
    remixes_allowed,
    said_caps,
    song_key,
    track_breaks,
    without_christmas,
)
from assistant.errors import RequestError
from assistant.explain import (
    Explainer,
    Explanation,
    IntroSentence,
    LabelNames,
    Source,
    TrackLine,
    join_and,
    metadata_intro,
    metadata_line,
    track_heading,
)
from assistant.grounding import Vocabulary, sanitize, sound_words, tempo_word, verify_text
from assistant.playlist import Playlist, Relaxation
from assistant.refine import (DEFAULT_MORE, FEWER, FEWER_YEARS, LIKED, MISSED, NEXT_PLAYLIST, PLAYLIST_ARTISTS,
                              QUALIFIER_FIELDS, Edit, classify)
from assistant.lexicon import intersect
from assistant.sequencing import order_tracks, spread_artists
from assistant.spec import MAX_MINUTES, PlaylistSpec
from assistant.taste import add_taste_reasons
from assistant.understand import ParsedRequest, RequestParser
from assistant.vocabulary import Vocabulary as Names
from retrieval.catalog import Track
from retrieval.filters import Range, filter_mask
from retrieval.hybrid import SearchQuery
from retrieval.index import artist_key, featured_keys

if TYPE_CHECKING:
    from assistant.api import MusicAssistant
    from assistant.llm import LLMClient

ReplyKind = Literal["playlist", "answer", "message"]

REPLY_BUDGET_S = 4.5  # a whole reply (build + text) should stay under ~5 s on the embedded model
MIN_TEXT_BUDGET_S = 0.5
MAX_ANSWERS = 5  # tracks one question may ask about
MAX_LISTED_ARTISTS = 12  # artists an answer names before "and N more"
MAX_LISTED = 8  # tracks an answer lists before "and N more"
MAX_TITLES_SAID = 5  # tracks "Added 3 more like ..." names before "N more" ("more like the first half")
SPOTIFY_TRACK_URL = "https://open.spotify.com/track/"
# What the audio features measure (Spotify's definitions, as the catalog's columns hold them)
FEATURE_MEANINGS = {
    "valence": "Valence is how positive a track sounds, from 0 (sad, angry) to 1 (happy, cheerful).",
    "energy": "Energy is how intense and active a track feels, from 0 (calm) to 1 (fast, loud, noisy).",
    "danceability": "Danceability is how suitable a track is for dancing, from 0 to 1, by its tempo, rhythm "
                    "stability, beat strength and regularity.",
    "acousticness": "Acousticness is how likely a track is acoustic, from 0 to 1.",
    "instrumentalness": "Instrumentalness is how likely a track has no vocals, from 0 to 1 (above 0.5: "
                        "instrumental).",
    "speechiness": "Speechiness is how much of a track is spoken words, from 0 to 1 (rap is high, above 0.33).",
    "liveness": "Liveness is how likely a track was recorded live, from 0 to 1.",
    "tempo": "Tempo is a track's speed in beats per minute (BPM).",
    "bpm": "BPM (beats per minute) is a track's tempo, its speed.",
    "popularity": "Popularity is Spotify's 0-100 score of how much a track has been played lately.",
}
ASKED_FOR = "added at your request"  # in the reason of a track the listener asked for: cuts take it last
HELP = ("I build playlists from the catalog and edit them. Ask for one (\"upbeat 80s synthpop for a run\"), then "
        "refine it: \"more upbeat\", \"calmer\", \"make it 20 minutes\", \"add more like track 3\", \"add "
        "Superstition by Stevie Wonder\", \"add some 80s rock\", \"remove the second song\", \"no more <artist>\", "
        "\"only 90s\", \"swap the last two\", \"put the slow ones at the end\", \"call it Road Trip\", \"undo\" or "
        "\"start over\". "
        "You can also ask \"why is track 2 here?\" or \"what's the tempo of track 4?\".")


@dataclass
class Changes:
    """What changed since the previous version: track ids added and removed, and one summary line."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass
class Reply:
    text: str
    playlist: Playlist | None  # the current playlist (unchanged for answers and messages)
    changes: Changes = field(default_factory=Changes)
    notices: list[str] = field(default_factory=list)
    kind: ReplyKind = "playlist"
    explanation: Explanation | None = None
    version: int = 0  # how many versions the chat has had (the first playlist is version 1)
    action: str = ""  # what the message was read as: "new", "refine", "more_like", "thanks"... (refine.EditKind)


@dataclass
class Version:
    playlist: Playlist | None
    banned: frozenset[str] = frozenset()  # track ids never to offer again in this chat
    banned_artists: tuple[str, ...] = ()  # artists the listener turned down in this chat
    request: str = ""  # the listener's words that started this playlist
    explanation: Explanation | None = None
    title: str = ""  # the name the listener gave this playlist ("call it Road Trip"), kept through its edits


@dataclass
class _Outcome:
    """An applied edit: a new version to show (kind "playlist") or a text answer."""

    kind: ReplyKind
    text: str = ""  # the answer, or the first line of a playlist reply ("More upbeat (+4 −4).")
    version: Version | None = None
    label: str = ""
    notices: list[str] = field(default_factory=list)
    new_intro: bool = True  # False: the previous introduction is kept if it still holds
    restored_from: Playlist | None = None  # undo: `version` is already current; this is the one undone
    restored: bool = False


class Chat:
    """One conversation over one assistant. Not thread-safe: a chat serves one listener at a time."""

    def __init__(self, assistant: MusicAssistant, llm: LLMClient | None = None, *, use_llm: bool = True,
                 budget_s: float = REPLY_BUDGET_S) -> None:
        self.assistant = assistant
        self._llm = llm
        self.use_llm = use_llm
        self.budget_s = budget_s
        self.versions: list[Version] = [Version(None)]
        self._undone: list[Version] = []  # versions taken back by "undo", latest last: "redo" restores them
        self._lines: dict[str, tuple[str, Source]] = {}  # every track line written in this chat
        self._referent: str | None = None  # the one track the last reply was about: "replace it" means it
        self._explainer: Explainer | None = None
        self._vocabulary: Vocabulary | None = None
        self._parser: RequestParser | None = None
        self._rng = random.Random(0)

    # ------------------------------------------------------------------ state

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def playlist(self) -> Playlist | None:
        return self.current.playlist

    @property
    def spec(self) -> PlaylistSpec | None:
        return self.playlist.spec if self.playlist is not None else None

    @property
    def banned(self) -> frozenset[str]:
        return self.current.banned

    @property
    def history(self) -> list[Playlist | None]:
        """Every version's playlist, oldest first (None: empty)."""
        return [v.playlist for v in self.versions]

    @property
    def llm(self) -> LLMClient | None:
        if not self.use_llm:
            return None
        if self._llm is None:
            from assistant.llm import get_llm

            self._llm = self.assistant.llm if self.assistant.llm is not None else get_llm(self.assistant.settings)
        return self._llm

    @property
    def parser(self) -> RequestParser:
        if self._parser is None:
            self._parser = RequestParser(Names.for_index(self.assistant.index),
                                         self.assistant.settings.max_message_chars)
        return self._parser

    @property
    def explainer(self) -> Explainer:
        if self._explainer is None:
            self._explainer = Explainer(self.llm, self.vocabulary)
        return self._explainer

    @property
    def vocabulary(self) -> Vocabulary:
        """The catalog's names and labels, as the explanations check and word them."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.from_index(self.assistant.index)
        return self._vocabulary

    # ------------------------------------------------------------------ public

    def send(self, message: str) -> Reply:
        reply = None
        for event in self.stream(message):
            reply = event
        assert isinstance(reply, Reply)
        return reply

    def stream(self, message: str) -> Iterator[Playlist | str | Reply]:
        """The new playlist (when it changed) before any LLM call, then the text in chunks, then the Reply."""
        start = time.perf_counter()
        try:
            text = self.assistant.check_request(message)
        except RequestError as exc:
            yield from self._respond(_Outcome("message", str(exc)), start, "message")
            return
        edit = classify(self._pointed(text), self.playlist, self.parser)
        try:
            outcome = self._apply_all(edit)
        except RequestError as exc:
            outcome = _Outcome("message", str(exc))
        outcome.notices[:0] = edit.notices
        before = set(self.playlist.track_ids()) if self.playlist else set()
        yield from self._respond(outcome, start, edit.kind)
        self._referent = self._referred(edit, before)

    def _pointed(self, text: str) -> str:
        """"replace it", "put that one first", "more like it": the track the last reply was about, by number."""
        tracks = self._tracks()
        at = [i for i, t in enumerate(tracks) if t.track_id == self._referent]
        return _POINTER.sub(lambda m: f"{m.group(1)}track {at[0] + 1}", text, count=1) if at else text

    def _referred(self, edit: Edit, before: set[str]) -> str | None:
        """The one track a reply was about: the track asked about, moved or added alone."""
        tracks = self._tracks()
        if edit.kind == "question" and len(edit.positions) == 1 and edit.positions[0] < len(tracks):
            return tracks[edit.positions[0]].track_id
        if edit.kind == "move" and edit.to is not None and edit.to < len(tracks):
            return tracks[edit.to].track_id
        added = [t.track_id for t in tracks if t.track_id not in before]
        return added[0] if len(added) == 1 else None

    def undo(self) -> Reply:
        return self._send_edit(Edit("undo"))

    def redo(self) -> Reply:
        """Restore the change the last "undo" took back (until another change is made)."""
        return self._send_edit(Edit("redo"))

    def reset(self) -> Reply:
        """Start over: an empty playlist (the listener's bans stay)."""
        return self._send_edit(Edit("start_over"))

    def remove(self, track_id: str) -> Reply:
        """Remove a track of the current playlist; it never comes back in this chat."""
        return self._send_edit(Edit("remove", positions=self._positions_of(track_id)))

    def feedback(self, track_id: str, liked: bool) -> Reply:
        """Thumbs up teaches the assistant's profile; thumbs down also removes the track for good."""
        self.assistant.feedback(track_id, liked)
        if not liked:
            return self.remove(track_id)
        track = self.assistant.index.tracks[self.assistant.index.row[track_id]]
        return self._send_text(f"Noted: you like \"{sanitize(track.title)}\" by {sanitize(track.artist, 60)}; "
                               "the next playlists lean towards it.")

    # ------------------------------------------------------------------ responding

    def _send_edit(self, edit: Edit) -> Reply:
        reply = None
        for event in self._respond(self._apply(edit), time.perf_counter(), edit.kind):
            reply = event
        assert isinstance(reply, Reply)
        return reply

    def _send_text(self, text: str) -> Reply:
        return Reply(text, self.playlist, kind="message", version=len(self.versions) - 1, action="message")

    def _respond(self, outcome: _Outcome, start: float, action: str) -> Iterator[Playlist | str | Reply]:
        if outcome.version is not None and not outcome.restored and action != "redo":
            self._undone.clear()  # a new change: what was undone before it can no longer be redone
        if outcome.kind != "playlist" or outcome.version is None or outcome.version.playlist is None:
            if outcome.version is not None:  # start over: a new, empty version
                self.versions.append(outcome.version)
            yield outcome.text
            yield Reply(outcome.text, self.playlist, Changes(), outcome.notices, outcome.kind,
                        version=len(self.versions) - 1, action=action)
            return
        previous = outcome.restored_from if outcome.restored else self.playlist
        if not outcome.restored:
            self.versions.append(outcome.version)
        version = outcome.version
        playlist = version.playlist
        changes = _changes(previous, playlist, outcome.label)
        yield playlist

        chunks: list[str] = []
        if outcome.text:
            chunks.append(outcome.text + "\n\n")
            yield chunks[-1]
        explanation = version.explanation if outcome.restored else None
        if explanation is None:
            budget = max(MIN_TEXT_BUDGET_S, self.budget_s - (time.perf_counter() - start))
            intro = self._kept_intro(playlist) if not outcome.new_intro else None
            known = {t.track_id: self._lines[t.track_id] for t in playlist.tracks if t.track_id in self._lines}
            for event in self.explainer.stream(playlist, _request_text(version, outcome.label), budget,
                                               intro=intro, known=known):
                if isinstance(event, Explanation):
                    explanation = event
                    continue
                chunk = _chunk(event, playlist.tracks, first=len(chunks) == bool(outcome.text))
                chunks.append(chunk)
                yield chunk
            assert explanation is not None
            version.explanation = explanation
            for track_id, line in explanation.lines.items():
                self._lines[track_id] = (line, explanation.sources[track_id])
            notices = [*outcome.notices, *explanation.notices]
        else:
            chunks.append(explanation.text(playlist.tracks))
            yield chunks[-1]
            notices = list(outcome.notices)
        yield Reply("".join(chunks), playlist, changes, notices, "playlist", explanation, len(self.versions) - 1,
                    action)

    def _kept_intro(self, playlist: Playlist) -> tuple[str, Source] | None:
        """For an edit that keeps the playlist's character: the previous introduction if every sentence of it
        still holds, else the one built from the metadata (no LLM call). None: write a new one."""
        before = self.versions[-2].explanation if len(self.versions) >= 2 else None
        if before is None:
            return None
        if before.intro_source == "llm":
            checks = verify_text(before.intro, playlist.tracks, self.explainer.verifier.vocab)
            if checks and all(c.ok for c in checks):
                return before.intro, "llm"
        return metadata_intro(playlist.tracks, LabelNames.for_playlist(playlist, self.vocabulary)), "metadata"

    # ------------------------------------------------------------------ edits

    def _apply(self, edit: Edit) -> _Outcome:
        handlers = {
            "message": self._message, "undo": self._undo, "start_over": self._start_over, "new": self._new,
            "question": self._question, "swap": self._swap, "move": self._move, "reorder": self._reorder,
            "remove": self._remove, "replace": self._replace, "exclude": self._exclude, "refine": self._refine,
            "more_like": self._more_like, "add_songs": self._add_songs, "add_style": self._add_style,
            "steer": self._steer, "subject": self._subject, "length": self._length, "thanks": self._thanks,
            "rename": self._rename, "redo": self._redo,
        }
        return handlers[edit.kind](edit)

    def _apply_all(self, edit: Edit) -> _Outcome:
        """`edit`, then the one the same message asks after it ("no blink-182. How about some Bush?"): one reply,
        one version (one undo takes both back)."""
        first = self._apply(edit)
        if edit.then is None:
            return first
        if first.kind == "playlist" and first.version is not None:
            self.versions.append(first.version)  # the second edit starts from the first one's playlist
            try:
                second = self._apply(edit.then)
            finally:
                self.versions.pop()
        else:  # "Lift Me Up by Rihanna is already in the playlist": the second still applies
            second = self._apply(edit.then)
        if second.kind != "playlist":
            first.text = f"{first.text} {second.text}"
            first.notices += second.notices
            return first
        second.text = f"{first.text} {second.text}"
        second.label = f"{first.label}; {second.label}" if first.kind == "playlist" else second.label
        second.notices[:0] = first.notices
        second.new_intro = first.new_intro and second.new_intro if first.kind == "playlist" else second.new_intro
        return second

    def _message(self, edit: Edit) -> _Outcome:
        if edit.unknown_title:
            return _Outcome("message", f"I can't find \"{sanitize(edit.unknown_title)}\" in the catalog or the "
                                       "playlist, so nothing changed.")
        if edit.topic == MISSED:
            return _Outcome("message", "What should change? For example \"more upbeat\", \"calmer\", \"older songs\", "
                                       "\"no more <artist>\", \"replace track 3\", or \"try again\" for all new "
                                       "tracks.")
        if edit.topic == NEXT_PLAYLIST:
            return _Outcome("message", "Sure: what should the next one be? Describe it (\"calm acoustic songs for a "
                                       "rainy evening\") or name an artist; this playlist stays until then.")
        if edit.topic == "removal":
            return _Outcome("message", "I can't tell what to take out: name a track (\"remove track 3\" or its title), "
                                       "an artist or a genre.")
        if edit.notices and not edit.text.strip():
            return _Outcome("message", "Tell me what you would like to hear, and I'll build a playlist from the "
                                       "catalog.")
        return _Outcome("message", HELP)

    def _thanks(self, edit: Edit) -> _Outcome:
        if edit.topic == "farewell":
            return _Outcome("message", "Enjoy the music! The playlist stays here: export it with the buttons beside "
                                       "it, or come back and change it.")
        if edit.topic == LIKED and edit.positions and not self._check_positions(edit.positions):
            n = edit.positions[0]
            track = self._tracks()[n]
            return _Outcome("message", f"Glad you like \"{sanitize(track.title)}\" by {sanitize(track.artist, 60)}. "
                                       f"\"More like track {n + 1}\" adds songs like it.")
        return _Outcome("message", "Glad it fits. Tell me if anything should change: \"more upbeat\", \"add 5 more\", "
                                   "\"no more <artist>\", \"replace track 3\"...")

    def _undo(self, edit: Edit) -> _Outcome:
        if len(self.versions) < 2:
            return _Outcome("message", "Nothing to undo yet.")
        undone = self.versions.pop()
        self._undone.append(undone)
        if self.playlist is None:
            return _Outcome("message", "Undone: back to an empty playlist. What would you like to hear?")
        return _Outcome("playlist", "Undid the last change.", self.current, label="undone",
                        restored_from=undone.playlist, restored=True, new_intro=False)

    def _redo(self, edit: Edit) -> _Outcome:
        if not self._undone:
            return _Outcome("message", "Nothing to redo: no change was undone since the last one.")
        before = self.playlist
        redone = self._undone.pop()
        self.versions.append(redone)
        if redone.playlist is None:
            return _Outcome("message", "Redone: the playlist is empty again.")
        return _Outcome("playlist", "Redid the change.", redone, label="redone", restored_from=before,
                        restored=True, new_intro=False)

    def _start_over(self, edit: Edit) -> _Outcome:
        if self.playlist is None:
            return _Outcome("message", "The playlist is already empty: tell me what you'd like to hear.")
        return _Outcome("message", "Starting over: the playlist is empty. Tell me what you'd like to hear.",
                        self._next(None, request=""))

    def _new(self, edit: Edit) -> _Outcome:
        assistant = self.assistant
        spec, notices = assistant.read_request(edit.text)
        asked = edit.parsed.spec.n_tracks if edit.parsed is not None else None
        if asked is not None and asked > assistant.max_tracks:
            notices.append(f"a playlist holds at most {assistant.max_tracks} tracks; {asked} were asked for")
        playlist = self._build(spec)
        notices += _relaxation_notices(playlist.relaxed) + playlist.notices
        return _Outcome("playlist", "" if self.playlist is None else "A new playlist.",
                        self._next(playlist, request=edit.text), label="new playlist",
                        notices=notices)

    # -------------------------------------------------------------- order

    def _swap(self, edit: Edit) -> _Outcome:
        tracks = self._tracks()
        bad = self._check_positions(edit.positions)
        if bad or len(set(edit.positions)) != 2:
            return _Outcome("message", bad or "Which two tracks should I swap? For example: \"swap 2 and 5\".")
        a, b = edit.positions
        tracks[a], tracks[b] = tracks[b], tracks[a]
        return self._reordered(tracks, f"Swapped tracks {a + 1} and {b + 1}.", "swapped")

    def _move(self, edit: Edit) -> _Outcome:
        tracks = self._tracks()
        bad = self._check_positions(edit.positions)
        if bad or edit.to is None or not 0 <= edit.to < len(tracks):
            return _Outcome("message", bad or f"Where to? The playlist has {len(tracks)} tracks.")
        if len(edit.positions) > 1:  # "put the two calmest songs at the end": together, in the order said
            return self._moved_together(tracks, edit.positions, edit.to)
        if edit.positions[0] == edit.to:  # "put the calmest song first" when it opens the playlist already
            return _Outcome("message", f"\"{sanitize(tracks[edit.to].title)}\" is already at position {edit.to + 1}.")
        track = tracks.pop(edit.positions[0])
        tracks.insert(edit.to, track)
        return self._reordered(tracks, f"Moved \"{sanitize(track.title)}\" to position {edit.to + 1}.", "moved")

    def _moved_together(self, tracks: list[Track], positions: list[int], to: int) -> _Outcome:
        """Several tracks moved as one block: to the end when `to` is the last place, else starting at `to`."""
        moving = [tracks[p] for p in positions]
        rest = [t for i, t in enumerate(tracks) if i not in set(positions)]
        at = len(rest) if to == len(tracks) - 1 else min(to, len(rest))
        out = rest[:at] + moving + rest[at:]
        titles = join_and([f"\"{sanitize(t.title)}\"" for t in moving])
        where = "the start" if at == 0 else "the end" if at == len(rest) else f"positions {at + 1}–{at + len(moving)}"
        if out == tracks:
            return _Outcome("message", f"{titles} are already at {where}.")
        return self._reordered(out, f"Moved {titles} to {where}.", "moved")

    def _reorder(self, edit: Edit) -> _Outcome:
        tracks = self._tracks()
        ordering = edit.ordering or "retrieved"
        if ordering == "shuffle":
            self._rng.shuffle(tracks)
            return self._reordered(tracks, "Shuffled.", "shuffled")
        if ordering == "reverse":
            return self._reordered(tracks[::-1], "Reversed the order.", "reversed")
        if ordering == "spread":
            spread = spread_artists(tracks)
            together = sum(artist_key(a.artist) == artist_key(b.artist) for a, b in zip(spread, spread[1:]))
            text = "Spread out: no artist plays twice in a row." if not together else \
                f"Spread out as far as the artists' numbers allow ({together} back to back left)."
            return self._reordered(spread, text, "artists spread out")
        if ordering in ("year", "tempo"):
            tracks.sort(key=lambda t: (getattr(t, ordering) is None, getattr(t, ordering) or 0))
            return self._reordered(tracks, f"Sorted by {ordering}.", f"sorted by {ordering}")
        if ordering == "newest":
            tracks.sort(key=lambda t: (t.year is None, -(t.year or 0)))
            return self._reordered(tracks, "Sorted by year, newest first.", "newest first")
        ordering = "rising" if ordering == "energy" else ordering
        spec = self._spec().model_copy(update={"ordering": ordering})
        words = ORDER_WORDS.get(ordering, ordering)
        return self._reordered(order_tracks(tracks, ordering), f"Reordered: {words}.", words, spec)

    def _rename(self, edit: Edit) -> _Outcome:
        if self.playlist is None:
            return _Outcome("answer", "There is no playlist yet to name: ask for one first.")
        title = sanitize(edit.about or "", 60).strip()
        if not title:  # "give it a name"
            return _Outcome("answer", f"It's called \"{sanitize(self.playlist.title, 60)}\" for now. What should it be "
                                      "called? Say, for example, \"call it Sunday Drive\".")
        return _Outcome("playlist", f'Renamed it "{title}".', self._next(self.playlist, title=title), label="renamed",
                        new_intro=False)

    def _reordered(self, tracks: list[Track], text: str, label: str, spec: PlaylistSpec | None = None) -> _Outcome:
        playlist = self._derive(tracks, spec or self._spec())
        return _Outcome("playlist", text, self._next(playlist), label=label,
                        new_intro=False)

    # -------------------------------------------------------------- removing

    def _remove(self, edit: Edit) -> _Outcome:
        if edit.unknown_title:
            return _Outcome("message", f"I can't find \"{sanitize(edit.unknown_title)}\" in the playlist.")
        bad = self._check_positions(edit.positions)
        if bad or not edit.positions:
            return _Outcome("message", bad or "Which track should I remove? For example: \"remove track 3\".")
        tracks = self._tracks()
        gone = [tracks[p] for p in edit.positions]
        kept = [t for i, t in enumerate(tracks) if i not in edit.positions]
        spec = self._spec().model_copy(update={"n_tracks": max(len(kept), 1), "minutes": None})
        playlist = self._derive(kept, spec)
        what = f"\"{sanitize(gone[0].title)}\"" if len(gone) == 1 else f"{len(gone)} tracks"
        return _Outcome("playlist", f"Removed {what}; it won't come back in this chat." if len(gone) == 1 else
                        f"Removed {what}; they won't come back in this chat.",
                        self._next(playlist, banned=self.banned | {t.track_id for t in gone}),
                        label="removed", new_intro=False)

    def _replace(self, edit: Edit) -> _Outcome:
        """"replace track 3", "swap track 2 for something calmer": new tracks in those places, under the
        playlist's constraints (and the mood asked for); the replaced ones never come back in this chat."""
        bad = self._check_positions(edit.positions)
        if bad or not edit.positions:
            return _Outcome("message", bad or "Which track should I replace? For example: \"replace track 3\".")
        tracks = self._tracks()
        positions = list(dict.fromkeys(edit.positions))
        gone = [tracks[p] for p in positions]
        spec = self._spec()
        artists = edit.parsed.spec.seed_artists if edit.parsed else []
        # theirs that fit the playlist first (as its own constraints and the mood asked for say), then any of theirs
        fitting = {name: getattr(spec, name) for name in QUALIFIER_FIELDS} | {
            "features": {**spec.features, **edit.features}}
        notes: list[str] = []
        if edit.track_ids:  # "replace track 3 with Juicy by Biggie": that song
            own, notes = self._songs_allowed(edit.track_ids, len(edit.track_ids))
            own = own[:len(positions)]
            if not own:
                return _Outcome("message", " ".join(notes))
        else:
            own = self._own_tracks(artists, spec, fitting, len(positions), avoid=[t.track_id for t in tracks])[0] \
                if artists else []
        if own:  # "replace the 4th song with something by Adele": hers, outside the constraints if they must be
            fill = Playlist(title="", tracks=own, reasons={t.track_id: f"{reason_line(t, spec)} · {ASKED_FOR}"
                                                           for t in own})
            playlist = self._placed(positions, spec, fill, relaxed=_added_relaxations(
                own, tracks, spec, self._kept_relaxations([])))
        else:  # "replace track 3 with some 80s rock": of that kind
            kind = {**edit.qualifiers, "description": edit.about or spec.description} if edit.qualifiers else {}
            playlist, fill = self._filled(positions, spec, spec.model_copy(update={
                **kind, "features": {**spec.features, **edit.qualifiers.get("features", {}), **edit.features}}))
        names = ", ".join(f"\"{sanitize(t.title)}\"" for t in gone)
        came = ", ".join(f"\"{sanitize(t.title)}\" by {sanitize(t.artist, 60)}" for t in fill.tracks)
        if len(gone) == len(tracks) > 1:  # "I didn't like any of those"
            text = (f"Replaced all {len(gone)} tracks with {len(fill.tracks)} others that fit the same request."
                    if fill.tracks else "Nothing else in the catalog fits this request, so the playlist stays.")
        elif len(gone) > MAX_TITLES_SAID and fill.tracks:  # "keep the first 5 and redo the rest": the places
            text = f"Replaced {len(gone)} tracks ({_places(positions)}) with {len(fill.tracks)} others."
        else:
            text = f"Replaced {names} with {came.removesuffix('.')}." if came else \
                f"Removed {names}: nothing else fits in its place."
        if outside := sorted({what for t in own for _, what in track_breaks(t, spec)}):
            text += f" Added as you asked, though outside the playlist's constraints: {'; '.join(outside[:3])}."
        text = " ".join([text, *notes])
        banned = (self.banned | {t.track_id for t in gone}) - {t.track_id for t in own}
        return _Outcome("playlist", text, self._next(playlist, banned=banned),
                        label="replaced", notices=_relaxation_notices(fill.relaxed) + fill.notices, new_intro=False)

    def _filled(self, positions: list[int], spec: PlaylistSpec, fill_spec: PlaylistSpec) -> tuple[Playlist, Playlist]:
        """The playlist with new tracks under `fill_spec` in those places (fewer when fewer fit), and the fill."""
        tracks = self._tracks()
        fill = self._build(fill_spec.model_copy(update={"n_tracks": len(positions), "minutes": None,
                                                        "ordering": "retrieved"}),
                           avoid=[t.track_id for t in tracks])
        return self._placed(positions, spec, fill, self._kept_relaxations(fill.relaxed)), fill

    def _placed(self, positions: list[int], spec: PlaylistSpec, fill: Playlist,
                relaxed: list[Relaxation]) -> Playlist:
        """The playlist with the fill's tracks in those places, in order; places left over are dropped."""
        new = iter(fill.tracks)
        kept = [t for t in (next(new, None) if i in positions else t for i, t in enumerate(self._tracks()))
                if t is not None]
        return self._derive(kept, spec.model_copy(update={"n_tracks": len(kept)} if spec.minutes is None else {}),
                            reasons=self._reasons_with(fill.reasons), relaxed=relaxed)

    def _fewer(self, edit: Edit) -> _Outcome:
        """"less Drake": half of each named artist's tracks (the later ones) make way for others under the
        playlist's constraints, and the artist no longer steers it."""
        artists = list(edit.parsed.spec.exclude_artists) if edit.parsed else []
        keys = {artist_key(a) for a in artists}
        tracks = self._tracks()
        theirs: dict[str, list[int]] = {}
        for i, t in enumerate(tracks):
            if artist_key(t.artist) in keys:
                theirs.setdefault(artist_key(t.artist), []).append(i)
        names = ", ".join(sanitize(a, 40) for a in artists)
        if not theirs:
            return _Outcome("message", f"The playlist has no track by {names}; nothing changed.")
        positions = sorted(p for found in theirs.values() for p in found[len(found) // 2:])
        left = sum(len(found) // 2 for found in theirs.values())
        spec = self._spec()
        spec = spec.model_copy(update={"seed_artists": [a for a in spec.seed_artists if artist_key(a) not in keys]})
        playlist, fill = self._filled(positions, spec, spec.model_copy(
            update={"exclude_artists": list(dict.fromkeys([*spec.exclude_artists, *artists]))}))
        text = (f"Fewer by {names}: {len(positions)} of their {len(positions) + left} tracks replaced, "
                f"{left} kept." if left else f"Fewer by {names}: their only track replaced.")
        return _Outcome("playlist", text,
                        self._next(playlist, banned=self.banned | {tracks[p].track_id for p in positions}),
                        label=f"fewer by {names}", notices=_relaxation_notices(fill.relaxed) + fill.notices)

    def _fewer_years(self, edit: Edit) -> _Outcome:
        """"less 80s": half of the era's tracks (the later ones) make way for tracks from either side of it under
        the playlist's constraints; a playlist held to the era is let out of it ("more 80s", then "less 80s")."""
        assert edit.parsed is not None and edit.parsed.spec.year_min is not None
        lo, hi = edit.parsed.spec.year_min, edit.parsed.spec.year_max  # hi None: "less of the stuff since 2010"
        era = describe_range(YEAR, Range(min=lo, max=hi))
        tracks = self._tracks()
        inside = [i for i, t in enumerate(tracks) if t.year and lo <= t.year <= (hi or t.year)]
        if not inside:
            return _Outcome("message", f"No track in the playlist is from {era}; nothing changed.")
        spec = self._spec()
        if spec.year_min is not None and lo <= spec.year_min and (hi is None or spec.year_max is not None
                                                                  and spec.year_max <= hi):
            spec = spec.model_copy(update={"year_min": None, "year_max": None})
        sides = [(a, b) for a, b in ((spec.year_min, lo - 1), *([(hi + 1, spec.year_max)] if hi is not None else []))
                 if a is None or b is None or a <= b]
        outside = [sum(1 for t in tracks if t.year and (a or 0) <= t.year <= (b or 9999)) for a, b in sides]
        if any(outside) and not all(outside):  # the side the playlist already has
            sides = [side for side, count in zip(sides, outside) if count]
        if not sides:
            held = describe_range(YEAR, Range(min=spec.year_min, max=spec.year_max))
            return _Outcome("message", f"The playlist's years ({held}) leave no room outside {era}; nothing changed.")
        positions = inside[len(inside) // 2:]
        fills = [self._build(spec.model_copy(update={"year_min": a, "year_max": b, "n_tracks": len(positions),
                                                     "minutes": None, "ordering": "retrieved"}),
                             avoid=[t.track_id for t in tracks]) for a, b in sides]
        # the sides take turns, so an era in the middle is left both ways
        chosen = [t for group in zip_longest(*(f.tracks for f in fills)) for t in group if t is not None]
        fill = fills[0].model_copy(update={"tracks": chosen[:len(positions)],
                                           "reasons": {k: v for f in fills for k, v in f.reasons.items()},
                                           "relaxed": [r for f in fills for r in f.relaxed],
                                           "notices": list(dict.fromkeys(n for f in fills for n in f.notices))})
        playlist = self._placed(positions, spec, fill, self._kept_relaxations(fill.relaxed))
        left = len(inside) - len(positions)
        text = (f"Fewer from {era}: {len(positions)} of its {len(inside)} tracks replaced, {left} kept." if left else
                f"Fewer from {era}: its only track replaced.")
        return _Outcome("playlist", text,
                        self._next(playlist, banned=self.banned | {tracks[p].track_id for p in positions}),
                        label=f"fewer from {era}", notices=_relaxation_notices(fill.relaxed) + fill.notices)

    def _exclude(self, edit: Edit) -> _Outcome:
        """"no more Drake", "remove the rap": drop them, ban them for this chat, refill to the same length."""
        if edit.topic == "seasonal":
            return self._unseason()
        if edit.topic == FEWER:
            return self._fewer(edit)
        if edit.topic == FEWER_YEARS:
            return self._fewer_years(edit)
        if edit.topic == "absent genre":  # nothing is filed under it, so nothing can be taken out by it
            return _Outcome("message", f"The catalog files no track under {sanitize(edit.about, 60)}, so none in the "
                                       "playlist is; nothing changed.")
        parsed = edit.parsed
        tracks = self._tracks()
        artists = list(parsed.spec.exclude_artists) if parsed else []
        artists += [tracks[p].artist for p in edit.positions if 0 <= p < len(tracks)]
        genres = list(parsed.spec.exclude_genres) if parsed else []
        if not artists and not genres and not (parsed and parsed.spec.exclude_tracks):
            return _Outcome("message", "Which artist or genre should I leave out?")
        artists = list(dict.fromkeys(artists))
        outcome = self._refine(edit, artists=artists, genres=genres)
        playing = {artist_key(t.artist) for t in tracks}
        if (outcome.version is not None and outcome.version.playlist is not None and not genres and not edit.features
                and outcome.version.playlist.track_ids() == [t.track_id for t in tracks]
                and not playing & {artist_key(a) for a in artists}
                and not (parsed and parsed.found - {"description", "exclude_artists"})):
            # "I don't like Amy Winehouse" with none of hers playing (the listener saw other picks): said so
            names = ", ".join(sanitize(a, 40) for a in artists)
            outcome.text = f"The playlist has no track by {names}; they stay out of it from now on."
        return outcome

    def _unseason(self) -> _Outcome:
        """"no christmas songs": the season's words leave the request, and its turning down is said there, which
        keeps every Christmas song out of the refill (`seasonal_allowed`) however wintry the rest of it is."""
        spec = self._spec()
        seasonal = [t.track_id for t in self._tracks() if is_seasonal(t)]
        update = {"description": f"{without_christmas(spec.description)} no christmas".strip(),
                  "about": without_christmas(spec.about),
                  "exclude_tracks": list(dict.fromkeys([*spec.exclude_tracks, *seasonal]))}
        return self._keep_and_fill(spec.model_copy(update=update), "no Christmas songs")

    # -------------------------------------------------------------- refining

    def _refine(self, edit: Edit, artists: list[str] | None = None, genres: list[str] | None = None) -> _Outcome:
        spec = self._spec()
        data = spec.model_dump()
        labels = list(edit.labels)
        parsed = edit.parsed
        found = parsed.found if parsed is not None else frozenset()
        p = parsed.spec if parsed is not None else PlaylistSpec()
        excluded_artists = list(artists or ())
        if "exclude_artists" in found and artists is None:
            excluded_artists += p.exclude_artists
        excluded_genres = list(genres or ())
        if "exclude_genres" in found and genres is None:
            excluded_genres += p.exclude_genres
        parent_of = self.vocabulary.names.label_parents
        if own := [g for g in spec.genres if g in excluded_genres or parent_of.get(g) in excluded_genres]:
            # "less grunge" on a 90s alternative rock playlist: grunge is filed under rock, which emptied it
            # "no emo" on a pop punk playlist: the catalog files both under rock
            files = f"The catalog files that under {', '.join(excluded_genres)}, this playlist's own genre" if set(
                own) == set(excluded_genres) else \
                f"The playlist is {', '.join(own)}, which the catalog files under {', '.join(excluded_genres)}"
            return _Outcome("message", f"{files}: leaving that out would leave out the playlist itself, so nothing "
                                       "changed. Name an artist or a track to take out instead.")
        if excluded_artists:
            data["exclude_artists"] = list(dict.fromkeys([*spec.exclude_artists, *excluded_artists]))
            data["seed_artists"] = [a for a in spec.seed_artists if a not in excluded_artists]
            labels.append("no " + ", ".join(sanitize(a, 40) for a in excluded_artists))
        if excluded_genres:
            data["exclude_genres"] = list(dict.fromkeys([*spec.exclude_genres, *excluded_genres]))
            data["genres"] = [g for g in spec.genres if g not in excluded_genres]
            labels.append("no " + ", ".join(excluded_genres))
        if "exclude_tracks" in found:
            data["exclude_tracks"] = list(dict.fromkeys([*spec.exclude_tracks, *p.exclude_tracks]))
            index = self.assistant.index
            if titles := [f'"{sanitize(index.tracks[index.row[t]].title, 40)}"' for t in p.exclude_tracks
                          if t in index.row]:
                labels.append("no " + ", ".join(titles))
        # "my favourite artist is Drake and my favourite genre is hip-hop": the artist steers the refill too
        named = [a for a in p.seed_artists if a not in spec.seed_artists and a not in excluded_artists]
        if named:
            data["seed_artists"] = [*data["seed_artists"], *named]
            data["exclude_artists"] = [a for a in data["exclude_artists"] if a not in named]
            labels.append("around " + ", ".join(sanitize(a, 40) for a in named))
        if genres is None and "genres" in found:
            data["genres"] = p.genres
            labels.append("genre " + " or ".join(p.genres))
        if found & {"year_min", "year_max"}:
            data["year_min"], data["year_max"] = p.year_min, p.year_max
            labels.append(describe_range("year", Range(min=p.year_min, max=p.year_max)))
        features = dict(spec.features)
        if "features" in found and not edit.features:
            features.update(p.features)
            labels += [describe_range(name, r) for name, r in p.features.items()]
        features.update(edit.features)
        data["features"] = {k: v.model_dump() for k, v in features.items()}
        if "track_minutes" in found and p.track_minutes is not None:
            data["track_minutes"] = p.track_minutes.model_dump()
            labels.append(describe_range(TRACK_MINUTES, p.track_minutes))
        for name in ("popularity", "max_per_artist", "allow_remixes", "allow_live"):
            if name in found:
                data[name] = getattr(p, name)
                labels.append(_setting_label(p, name))
        if "artist_caps" in found:  # "no more than one Queen song"
            data["artist_caps"] = {**spec.artist_caps, **p.artist_caps}
            labels += [f"at most {n} by {sanitize(a, 40)}" for a, n in p.artist_caps.items()]
        try:
            new_spec = PlaylistSpec.model_validate(data)
        except ValidationError as exc:
            return _Outcome("message", f"I can't apply that: {exc.errors()[0]['msg']}.")
        label = ", ".join(labels) or "updated"
        restated = set(edit.features) | (set(p.features) if "features" in found else set())
        restated |= {YEAR} if found & {"year_min", "year_max"} else set()
        restated |= {GENRES} if genres is None and "genres" in found else set()
        restated |= {name for name in (POPULARITY, MAX_PER_ARTIST, TRACK_MINUTES) if name in found}
        outcome = self._keep_and_fill(new_spec, label, restated)
        if outcome.version is not None and outcome.version.playlist is not None:
            outcome = self._grown(outcome, outcome.version.playlist, edit.add, named)
        if (found - {"description"} == {"exclude_tracks"} and not edit.features and outcome.version is not None
                and outcome.version.playlist is not None
                and outcome.version.playlist.track_ids() == (playing := [t.track_id for t in self._tracks()])
                and not set(p.exclude_tracks) & set(playing)):
            # "I like them, except for jump around by house of pain" with it not playing (the listener saw others)
            index = self.assistant.index
            titles = ", ".join(f'"{sanitize(index.tracks[index.row[t]].title, 40)}"' for t in p.exclude_tracks
                               if t in index.row)
            outcome.text = f"The playlist has no {titles}; it stays out of it from now on."
        if (excluded_artists or excluded_genres) and outcome.version is not None:
            # what the listener turned down is banned for the chat: the tracks, and the artists by name
            names = {a.casefold() for a in excluded_artists}
            turned_down = {t.track_id for t in self._tracks() if t.artist.casefold() in names
                           or set(excluded_genres) & {*t.genres, *t.subgenres}}
            outcome.version.banned = outcome.version.banned | turned_down
            outcome.version.banned_artists = tuple(dict.fromkeys([*outcome.version.banned_artists,
                                                                 *excluded_artists]))
        return outcome

    def _grown(self, outcome: _Outcome, refined: Playlist, wanted: int | None, named: list[str]) -> _Outcome:
        """A refinement every track already met adds tracks under it when the message asked for more ("please
        more R and B", "what else do you recommend for the gym?") or named an artist the playlist lacks ("Nothing
        says the 80's like Def Leppard", "it isnt 90s hip hop without snoop dogg 2 pac or Notorious B.I.G"): before, it
        changed nothing and said so. Artists it lacks are added as asked for (`_more_like`): their own tracks come
        even when none meets the constraints ("country songs? Maybe by Kasey Musgraves?")."""
        tracks = self._tracks()
        if [t.track_id for t in refined.tracks] != [t.track_id for t in tracks] or outcome.version is None:
            return outcome
        held = {artist_key(t.artist) for t in tracks}
        lacking = [a for a in named if artist_key(a) not in held]
        if not (wanted or lacking):
            return outcome
        count = wanted or DEFAULT_MORE
        if lacking:
            asked = ParsedRequest(PlaylistSpec(seed_artists=lacking), frozenset({"seed_artists"}), [])
            self.versions.append(outcome.version)  # the refined spec is the one the artists join
            try:
                grown = self._more_like(Edit("more_like", add=max(count, len(lacking)), parsed=asked))
            finally:
                self.versions.pop()
        else:
            grown = self._extend(tracks, refined.spec.model_copy(update={"n_tracks": len(tracks) + count}),
                                 outcome.label, count=count)
        if grown.version is None:
            return outcome
        grown.text = f"{outcome.text.removesuffix('.')}, so I added more. {grown.text}"
        return grown

    def _steer(self, edit: Edit) -> _Outcome:
        """"more west coast", "only girl groups": words that are no genre, era or mood; the same constraints and
        length, chosen again for the request's words plus these; what still fits best stays."""
        tracks = self._tracks()
        spec = self._spec()
        about = sanitize(edit.about, 60)
        length = {"n_tracks": len(tracks), "minutes": None} if spec.minutes is None else {}
        playlist = self._build(spec.model_copy(update={"description": f"{spec.description} {about}".strip(), **length}))
        changed = len({t.track_id for t in tracks} - set(playlist.track_ids()))
        text = f"Leaning to {about}: {changed} of {len(tracks)} tracks replaced." if changed else \
            f"Leaning to {about}: the same tracks still fit best."
        notices = _relaxation_notices(playlist.relaxed) + playlist.notices
        return _Outcome("playlist", text, self._next(playlist), label=f"leaning to {about}", notices=notices)

    def _subject(self, edit: Edit) -> _Outcome:
        """"make it about summer": the same constraints and length, chosen again for another subject (and the
        mood its words name: "about feeling sad")."""
        tracks = self._tracks()
        spec = self._spec()
        about = sanitize(edit.about, 60)
        # the old subject's mood goes with it: "about summer" -> "about rain" keeps no summer brightness
        old_mood = self.parser.analyse(f"songs about {spec.about}").spec.features if spec.about else {}
        features = {k: r for k, r in spec.features.items() if old_mood.get(k) != r}
        features.update(edit.parsed.spec.features if edit.parsed is not None else {})
        length = {"n_tracks": len(tracks), "minutes": None} if spec.minutes is None else {}
        playlist = self._build(spec.model_copy(update={"about": edit.about, "features": features, **length}))
        changed = len({t.track_id for t in tracks} - set(playlist.track_ids()))
        notices = _relaxation_notices(playlist.relaxed) + playlist.notices
        return _Outcome("playlist", f"Now about {about}: {changed} of {len(tracks)} tracks replaced.",
                        self._next(playlist), label=f"about {about}", notices=notices)

    def _keep_and_fill(self, spec: PlaylistSpec, label: str, restated: set[str] | None = None) -> _Outcome:
        """Keep the tracks that meet the new spec, in place; fill the freed places with new tracks.

        A kept track may break a constraint the playlist already reports as relaxed (it was chosen under that
        relaxation, or the listener added it by name) unless this edit states that constraint anew (`restated`:
        "only 70s" means the 70s now). Exclusions and bans always apply. So "no Drake" replaces Drake's tracks
        and nothing else."""
        index = self.assistant.index
        tracks = self._tracks()
        carried = {r.constraint: r for r in (self.playlist.relaxed if self.playlist else [])
                   if r.constraint != LENGTH and r.constraint not in (restated or set())}
        mask = filter_mask(index, PlaylistSpec(exclude_artists=spec.exclude_artists, exclude_genres=spec.exclude_genres,
                                               exclude_tracks=spec.exclude_tracks).track_filter())
        banned_artists = {a.casefold() for a in self.current.banned_artists}
        breaks = [{name for name, _ in track_breaks(t, spec)} for t in tracks]
        keep = [t.track_id in index.row and bool(mask[index.row[t.track_id]]) and broken <= carried.keys()
                and t.track_id not in self.banned and t.artist.casefold() not in banned_artists
                for t, broken in zip(tracks, breaks)]
        # the per-artist cap holds for the kept tracks too, unless the playlist reports it relaxed; a cap said for
        # an artist always
        cap, named_caps = artist_caps(spec)
        said = said_caps(spec)
        kept_per_artist: Counter[str] = Counter()
        for i, t in enumerate(tracks):
            key = artist_key(t.artist)
            if keep[i] and (MAX_PER_ARTIST not in carried or key in said):
                kept_per_artist[key] += 1
                keep[i] = kept_per_artist[key] <= named_caps.get(key, cap)
        still_relaxed = {name for broken, k in zip(breaks, keep) if k for name in broken}
        if MAX_PER_ARTIST in carried:
            still_relaxed.add(MAX_PER_ARTIST)
        missing = keep.count(False)
        notices: list[str] = []
        new: list[Track] = []
        reasons = dict(self.playlist.reasons) if self.playlist else {}
        relaxed: list[Relaxation] = []
        length: dict[str, Any] | None = {"n_tracks": missing, "minutes": None} if missing else None
        if missing and spec.target_count() is None:  # a length in minutes: fill the time left, not the count
            left = (spec.minutes or 0.0) - sum(t.duration_ms or 0 for t, k in zip(tracks, keep) if k) / 60_000
            length = {"n_tracks": None, "minutes": left} if left > 0 else None
        if length is not None:
            fill_spec = spec.model_copy(update={**length, "ordering": "retrieved"})
            fill = self._build(fill_spec, avoid=[t.track_id for t, k in zip(tracks, keep) if k])
            new, relaxed = list(fill.tracks)[:self.assistant.max_tracks - keep.count(True)], fill.relaxed
            reasons.update(fill.reasons)
            notices += _relaxation_notices(fill.relaxed) + fill.notices
        out: list[Track] = []
        queue = iter(new)
        for t, k in zip(tracks, keep):
            if k:
                out.append(t)
            elif (replacement := next(queue, None)) is not None:
                out.append(replacement)
        out.extend(queue)
        if spec.ordering != "retrieved":
            out = order_tracks(out, spec.ordering)
        spec = spec.model_copy(update={"n_tracks": max(len(out), 1)} if spec.minutes is None else {})
        relaxed = list({**{c: carried[c] for c in still_relaxed}, **{r.constraint: r for r in relaxed}}.values())
        playlist = self._derive(out, spec, reasons=reasons, relaxed=relaxed)
        # not `keep`: a track outside the strict spec may be chosen again by the refill's own relaxations
        changed = len({t.track_id for t in tracks} - {t.track_id for t in out})
        text = f"{label[:1].upper()}{label[1:]}: {changed} of {len(tracks)} tracks replaced." if changed else \
            f"{label[:1].upper()}{label[1:]}: every track already fits."
        return _Outcome("playlist", text, self._next(playlist), label=label,
                        notices=notices)

    def _more_like(self, edit: Edit) -> _Outcome:
        bad = self._check_positions(edit.positions)
        if bad:
            return _Outcome("message", bad)
        tracks = self._tracks()
        room = self.assistant.max_tracks - len(tracks)
        if room <= 0:
            return self._full()
        add = min(edit.add or 3, room)
        notices = [f"a playlist holds at most {self.assistant.max_tracks} tracks; added {add}"] if add < (
            edit.add or 3) else []
        seeds = [tracks[p] for p in edit.positions]
        index = self.assistant.index
        if not seeds and edit.parsed:  # "more songs like Too Young by Post Malone": a named song, not in the playlist
            seeds = [index.tracks[index.row[t]] for t in edit.parsed.spec.seed_tracks if t in index.row]
        # "I also like Kali Uchis, SZA, The Weeknd and Miguel": a title read among the names leaves the other names
        # asked for; "more like Too Young by Post Malone" asks for no more Post Malone than the song's likeness
        by_seeds = {artist_key(t.artist) for t in seeds}
        artists = [a for a in edit.parsed.spec.seed_artists if artist_key(a) not in by_seeds] if edit.parsed else []
        artists = artists if not edit.positions else []
        # "more songs from those artists": theirs, the latest added first; they become no named artists
        same = edit.topic == PLAYLIST_ARTISTS
        if same:
            artists = list(dict.fromkeys(t.artist for t in reversed(tracks)))
        spec = self._spec()
        # "more like Daft Punk" brings Daft Punk too, "more bands like Daft Punk" only others, whatever came before
        others_only = False if same else spec.others_only if not artists else bool(
            edit.parsed and edit.parsed.spec.others_only)
        # "some upbeat Backstreet Boys songs": the words said with the names bind the added tracks
        fill_spec = spec.model_copy(update={"n_tracks": add, "minutes": None, "ordering": "retrieved",
                                            "seed_tracks": [t.track_id for t in seeds], "seed_artists": artists,
                                            "others_only": others_only, **edit.qualifiers})
        query = SearchQuery(text=" ".join(artists), seed_track_ids=[t.track_id for t in seeds], seed_artists=artists)
        kept = [t.track_id for t in tracks]
        fill = self._build(fill_spec, query, avoid=kept)
        came = {artist_key(t.artist) for t in fill.tracks}
        asked = {artist_key(a) for a in artists}
        missing = [a for a in artists if artist_key(a) not in came] if not (others_only or same) else []
        added = list(fill.tracks)
        relaxed = list(fill.relaxed)
        own: list[Track] = []
        if missing:
            # "can I get some Prince?" in a 90s playlist, with no Prince of the 90s: his own tracks, outside the
            # playlist's years, genres and moods (reported), as a song named by title joins it (`_add_songs`);
            # they take the places of the last tracks by other artists
            alone = len(missing) == len(artists)
            own, absent = self._own_tracks(missing, spec, edit.qualifiers, add if alone else len(missing),
                                           avoid=kept + [t.track_id for t in added])
            if own:
                others = [t.track_id for t in added if artist_key(t.artist) not in asked]
                dropped = set(others[max(0, len(others) - len(own)):])
                added = [t for t in added if t.track_id not in dropped][:max(0, room - len(own))] + own
                # the first fill's relaxations hold for its tracks left; an artist of whom none can join at all
                # (only remixes or Christmas songs here) is said by the second's ("only remixes by Céline Dion")
                stays = {t.track_id for t in added} & {t.track_id for t in fill.tracks}
                relaxed = [r for r in relaxed if r.constraint != SEED_ARTISTS and stays] + absent
        titles = [f"\"{sanitize(t.title)}\"" for t in seeds[:MAX_TITLES_SAID]]
        titles += [f"{len(seeds) - MAX_TITLES_SAID} more"] if len(seeds) > MAX_TITLES_SAID else []
        like = ", ".join([*titles, *(sanitize(a, 40) for a in artists)])
        like = "the playlist's artists" if same else like
        reasons = self._reasons_with({tid: f"{why} · like {like}" for tid, why in fill.reasons.items()})
        reasons.update({t.track_id: f"{reason_line(t, spec)} · {ASKED_FOR}" for t in own})
        out = added + tracks if edit.to == 0 else tracks + added
        if spec.ordering != "retrieved" and edit.to is None:  # "build up", then "more like X": still building up
            out = order_tracks(out, spec.ordering)
        # the artists asked for are the playlist's named artists from now on (their caps hold, see artist_caps)
        named = spec.seed_artists if same else list(dict.fromkeys([*spec.seed_artists, *artists]))
        new_spec = spec.model_copy(update={"n_tracks": len(out), "minutes": None, "seed_artists": named,
                                          "others_only": spec.others_only if same else others_only,
                                          # more of an artist asked for after a cap on them: the cap is lifted
                                          "artist_caps": {a: n for a, n in spec.artist_caps.items()
                                                          if artist_key(a) not in {artist_key(b) for b in artists}}})
        text = f"Added {len(added)} more {'by' if same else 'like'} {like}".removesuffix(".")  # "B.I.G."
        text += " at the start" if edit.to == 0 else ""
        text += f", {' and '.join(edit.labels)}." if edit.labels else "."
        notices += _relaxation_notices(relaxed)
        relaxed = _added_relaxations(own, out, new_spec, self._kept_relaxations(relaxed))
        if broken := sorted({what.split(" outside ")[-1] for t in own for _, what in track_breaks(t, spec)}):
            by = ", ".join(dict.fromkeys(sanitize(t.artist, 40) for t in own))
            other = " other" if {artist_key(t.artist) for t in own} & {artist_key(t.artist) for t in tracks} else ""
            text += f" No{other} track by {by} meets all the playlist's own constraints, so theirs are outside them " \
                    f"({'; '.join(broken[:3])}), as you asked."
        cap, caps = artist_caps(new_spec)
        held = Counter(artist_key(t.artist) for t in out)
        if over := [t.artist for t in own if held[artist_key(t.artist)] > caps.get(artist_key(t.artist), cap)]:
            text += f" {sanitize(over[0], 60)} now has {held[artist_key(over[0])]} tracks, beyond the playlist's " \
                    "limit per artist."
        playlist = self._derive(out, new_spec, reasons=reasons, relaxed=relaxed)
        notices += fill.notices
        return _Outcome("playlist", text, self._next(playlist), label=f"more like {like}",
                        notices=notices, new_intro=False)

    def _own_tracks(self, artists: list[str], spec: PlaylistSpec, qualifiers: dict[str, Any], n: int,
                    avoid: list[str]) -> tuple[list[Track], list[Relaxation]]:
        """The artists' own tracks beyond the playlist's cap on them when they reached it ("more of his hits"),
        else outside its constraints (its exclusions still hold): with the words said beside their names first
        ("upbeat"), then without them. Also the relaxation that says why an artist has none (only remixes or
        Christmas songs here). A cap passed or a constraint broken is reported by the caller."""
        keys = {artist_key(a) for a in artists}
        uncapped = {"n_tracks": n, "minutes": None, "ordering": "retrieved", "seed_artists": artists,
                    "seed_tracks": [], "others_only": False, "max_per_artist": self.assistant.max_tracks}
        loose = PlaylistSpec(description=" ".join(artists), exclude_artists=spec.exclude_artists,
                             exclude_genres=spec.exclude_genres, exclude_tracks=spec.exclude_tracks,
                             allow_remixes=spec.allow_remixes, **uncapped)
        cap, named = artist_caps(spec)
        held = Counter(artist_key(t.artist) for t in self._tracks())
        capped = any(held[k] >= named.get(k, cap) for k in keys)
        tries = [spec.model_copy(update={**uncapped, **qualifiers})] if capped else []
        tries += [loose.model_copy(update=qualifiers), loose] if qualifiers else [loose]
        query = SearchQuery(text=" ".join(artists), seed_artists=artists)
        for attempt in tries:
            theirs = self._build(attempt, query, avoid=avoid)
            own = [t for t in theirs.tracks if artist_key(t.artist) in keys]
            if own:
                return own, [r for r in theirs.relaxed if r.constraint == SEED_ARTISTS]
        return [], []

    def _songs_allowed(self, track_ids: list[str], room: int) -> tuple[list[Track], list[str]]:
        """The catalog songs named that may join the playlist (at most `room`), and a note for each that may not:
        already in it, or by an artist, of a genre or a song the listener asked to leave out in this chat."""
        index = self.assistant.index
        spec = self._spec()
        banned_artists = {artist_key(a) for a in [*spec.exclude_artists, *self.current.banned_artists]}
        tracks = self._tracks()
        present = {song_key(t): i for i, t in enumerate(tracks)}
        added: list[Track] = []
        notes: list[str] = []
        for tid in dict.fromkeys(t for t in track_ids if t in index.row):
            track = index.tracks[index.row[tid]]
            name = f"\"{sanitize(track.title)}\" by {sanitize(track.artist, 60)}"
            if song_key(track) in present:
                notes.append(f"{name} is already in the playlist (track {present[song_key(track)] + 1}).")
            elif artist_key(track.artist) in banned_artists or featured_keys(track.title) & banned_artists:
                notes.append(f"{name} is by or features an artist you asked me to leave out in this chat, so I "
                             "didn't add it.")
            elif set(spec.exclude_genres) & {g.lower() for g in (*track.genres, *track.subgenres)}:
                notes.append(f"{name} is in a genre you asked me to leave out, so I didn't add it.")
            elif tid in spec.exclude_tracks:
                notes.append(f"You asked me to leave out {name}, so I didn't add it.")
            elif len(added) >= room:
                notes.append(self._full().text)
                break
            else:
                added.append(track)
                present[song_key(track)] = len(tracks) + len(added) - 1
        return added, notes

    def _add_songs(self, edit: Edit) -> _Outcome:
        """"add Santa Baby by Eartha Kitt": the catalog songs the listener named join the playlist at the end, even
        outside its years, genres, moods or artist cap (each constraint they break is reported as relaxed, so
        nothing is broken silently), and even when removed before: the listener's latest words win. An exclusion
        the listener set ("no Drake") stands: they are told why the song was not added."""
        tracks = self._tracks()
        spec = self._spec()
        added, notes = self._songs_allowed(edit.track_ids, self.assistant.max_tracks - len(tracks))
        if not added:
            return _Outcome("message", " ".join(notes) or "I can't find that song in the catalog.")
        out = added + tracks if edit.to == 0 else tracks + added
        new_spec = spec.model_copy(update={"n_tracks": len(out), "minutes": None})
        if any(is_remix(t.title) for t in added) and not remixes_allowed(spec):
            new_spec = new_spec.model_copy(update={"allow_remixes": True})
        relaxed = _added_relaxations(added, out, spec, self._kept_relaxations([]))
        reasons = self._reasons_with({t.track_id: f"{reason_line(t, spec)} · {ASKED_FOR}" for t in added})
        playlist = self._derive(out, new_spec, reasons=reasons, relaxed=relaxed)
        names = ", ".join(f"\"{sanitize(t.title)}\" by {sanitize(t.artist, 60)}" for t in added)
        outside = [what for t in added for _, what in track_breaks(t, spec)]
        text = f"Added {names}{' at the start' if edit.to == 0 else ''}: now {len(out)} tracks " \
               f"({format_duration(playlist.total_ms)})."
        if outside:
            text += f" Added as you asked, though outside the playlist's constraints: {'; '.join(outside[:3])}."
        return _Outcome("playlist", " ".join([text, *notes]), self._next(
            playlist, banned=self.banned - {t.track_id for t in added}), label=f"added {names}", new_intro=False)

    def _add_style(self, edit: Edit) -> _Outcome:
        """"add some 80s rock", "add some jazz": `edit.add` tracks chosen for those words (their genres, era, mood
        and fame as a request of their own) join the playlist at the end. The playlist's exclusions and bans
        hold for them, its era when they name none ("more disco hits" in a 70s playlist is 70s disco) and its
        moods but those they set ("add some guitar" to sad songs: sad guitar songs; a subject, "add 2 songs about
        rain", brings its own); its other constraints do not bind them, and each one they break is reported."""
        tracks = self._tracks()
        room = self.assistant.max_tracks - len(tracks)
        if room <= 0:
            return self._full()
        spec = self._spec()
        asked = edit.parsed.spec if edit.parsed is not None else PlaylistSpec()
        said = edit.parsed.found if edit.parsed is not None else frozenset()
        era = (asked.year_min, asked.year_max) if {"year_min", "year_max"} & said else (spec.year_min, spec.year_max)
        # "add more songs from 1994" to rap: rap of 1994; not "add some jazz", a genre the catalog lacks
        genres = asked.genres or ([] if asked.about or self.vocabulary.names.absent_genres(edit.about or "")
                                  else spec.genres)
        fill_spec = PlaylistSpec(
            # "add a few songs about rain": the subject searched in titles, not spread over the artists
            description=asked.description if asked.about else edit.about, about=asked.about,
            n_tracks=min(edit.add or 3, room), genres=genres, year_min=era[0],
            year_max=era[1], features=asked.features if asked.about else _narrowed(spec.features, asked.features),
            track_minutes=asked.track_minutes,
            popularity=asked.popularity,
            exclude_artists=spec.exclude_artists, exclude_genres=spec.exclude_genres,
            exclude_tracks=spec.exclude_tracks, allow_remixes=spec.allow_remixes or asked.allow_remixes)
        fill = self._build(fill_spec, avoid=[t.track_id for t in tracks])
        added = list(fill.tracks)
        if not added:
            return _Outcome("message", f"I found nothing in the catalog for \"{sanitize(edit.about, 60)}\".")
        out = tracks + added
        relaxed = _added_relaxations(added, out, spec, self._kept_relaxations([]))
        reasons = self._reasons_with({tid: f"{why} · {ASKED_FOR}" for tid, why in fill.reasons.items()})
        playlist = self._derive(out, spec.model_copy(update={"n_tracks": len(out), "minutes": None}),
                                reasons=reasons, relaxed=relaxed)
        about = sanitize(edit.about, 60)
        text = f"Added {len(added)} for \"{about}\": now {len(out)} tracks ({format_duration(playlist.total_ms)})."
        if outside := sorted({what.split(" outside ")[-1] for t in added for _, what in track_breaks(t, spec)}):
            text += f" Outside the playlist's own constraints ({'; '.join(outside[:3])}), as you asked."
        notices = _relaxation_notices(fill.relaxed) + fill.notices
        return _Outcome("playlist", text, self._next(playlist), label=f"added {about}", notices=notices,
                        new_intro=False)

    def _length(self, edit: Edit) -> _Outcome:
        tracks = self._tracks()
        spec = self._spec()
        max_tracks = self.assistant.max_tracks
        notices = []
        if edit.minutes is not None and edit.minutes > MAX_MINUTES:
            # "that one song is 179 hours": beyond any playlist; the spec would not validate on the next edit
            return _Outcome("message", f"A playlist runs at most {MAX_MINUTES} minutes, so I kept this one as it is.")
        if already := _length_kept(edit, tracks):
            return _Outcome("message", already)
        asked = self._asked_for()
        if edit.minutes is not None:
            target_ms = edit.minutes * 60_000
            kept = _cut(tracks, asked, target_ms=target_ms)
            while edit.bound == "at_most" and len(kept) > 1 and sum(t.duration_ms or 0 for t in kept) > target_ms:
                kept = _cut(kept, asked, n=len(kept) - 1)
            new_spec = spec.model_copy(update={"minutes": edit.minutes, "n_tracks": None, "length_bound": edit.bound})
            label = describe_length(new_spec)
            total = sum(t.duration_ms or 0 for t in kept)
            longest = max((t.duration_ms or 0 for t in kept), default=0)
            short = total < target_ms if edit.bound == "at_least" else target_ms - total > longest / 2
            if len(kept) == len(tracks) and short and edit.bound != "at_most":
                return self._extend(kept, new_spec, label, minutes=(target_ms - total) / 60_000)
            return self._reordered(kept, f"Cut to {format_duration(total)} ({len(kept)} tracks).", label, new_spec)
        target = edit.n_tracks or len(tracks)
        if target > max_tracks:
            notices.append(f"a playlist holds at most {max_tracks} tracks; {target} were asked for")
            target = max_tracks
        new_spec = spec.model_copy(update={"n_tracks": target, "minutes": None})
        label = f"{target} tracks"
        if target < len(tracks):
            out = self._reordered(_cut(tracks, asked, n=target), f"Shortened to {target} tracks.", label, new_spec)
        elif target > len(tracks):
            out = self._extend(tracks, new_spec, label, count=target - len(tracks))
        else:
            out = _Outcome("message", f"The playlist already has {target} tracks.")
        out.notices[:0] = notices
        return out

    def _extend(self, tracks: list[Track], spec: PlaylistSpec, label: str, *, count: int | None = None,
                minutes: float | None = None) -> _Outcome:
        max_tracks = self.assistant.max_tracks
        if len(tracks) >= max_tracks:
            return self._full()
        fill_spec = spec.model_copy(update={"n_tracks": count, "minutes": None if count else minutes,
                                            "ordering": "retrieved"})
        fill = self._build(fill_spec, avoid=[t.track_id for t in tracks])
        added = list(fill.tracks)[:max_tracks - len(tracks)]  # minutes can ask for more than the limit leaves
        out = tracks + added
        relaxed = fill.relaxed
        if len(out) >= max_tracks and minutes is not None:
            # "make it 10 hours": the playlist's length is what stopped short, not the fill's ("536.377 minutes
            # need more than 100 tracks; stopped at 100 tracks (426:39)" of a playlist of 100 and 425:39)
            total_ms = sum(t.duration_ms or 0 for t in out)
            relaxed = [r for r in relaxed if r.constraint != LENGTH] + [Relaxation(
                constraint=LENGTH, reason=f"{describe_length(spec)} need more than {max_tracks} tracks; stopped at "
                                          f"{len(out)} tracks ({format_duration(total_ms)})")]
        notices = _relaxation_notices(relaxed) + fill.notices
        if len(added) < len(fill.tracks):
            notices.append(f"a playlist holds at most {max_tracks} tracks")
        if spec.ordering != "retrieved":
            out = order_tracks(out, spec.ordering)
        reasons = self._reasons_with(fill.reasons)
        playlist = self._derive(out, spec, reasons=reasons, relaxed=self._kept_relaxations(relaxed))
        total = format_duration(playlist.total_ms)
        tracks_word = "track" if len(added) == 1 else "tracks"
        return _Outcome("playlist", f"Added {len(added)} {tracks_word}: now {len(out)} ({total}).",
                        self._next(playlist), label=label, notices=notices, new_intro=False)

    # -------------------------------------------------------------- questions

    def _question(self, edit: Edit) -> _Outcome:
        tracks = self._tracks()
        if self.playlist is None:
            return _Outcome("answer", "There is no playlist yet: ask for one first, e.g. \"upbeat 80s synthpop\".")
        if edit.unknown_title:
            return _Outcome("answer", f"I can't find \"{sanitize(edit.unknown_title)}\" in the playlist.")
        if edit.topic == "which":  # "which songs are from 1997?"
            listed = "; ".join(f"{p + 1}. \"{sanitize(tracks[p].title)}\" by {sanitize(tracks[p].artist, 40)}"
                               for p in edit.positions[:MAX_LISTED])
            more = f" and {len(edit.positions) - MAX_LISTED} more" if len(edit.positions) > MAX_LISTED else ""
            return _Outcome("answer", f"{len(edit.positions)} of the {len(tracks)} tracks "
                                      f"match{'es' if len(edit.positions) == 1 else ''} ({edit.about}): "
                                      f"{listed}{more}." if edit.positions else
                            f"None of the {len(tracks)} tracks matches ({edit.about}).")
        if edit.topic == "count_by":  # "how many songs are by Bruno Mars?"
            theirs = ", ".join(f"{p + 1}. \"{sanitize(tracks[p].title)}\"" for p in edit.positions[:MAX_ANSWERS])
            return _Outcome("answer", f"{len(edit.positions)} of the {len(tracks)} tracks "
                                      f"{'is' if len(edit.positions) == 1 else 'are'} by "
                                      f"{sanitize(edit.about, 60)}: {theirs}." if edit.positions else
                            f"None of the {len(tracks)} tracks is by {sanitize(edit.about, 60)}.")
        bad = self._check_positions(edit.positions)
        if bad:
            return _Outcome("answer", bad)
        if edit.topic == "title":
            return _Outcome("answer", f'It is called "{sanitize(self.playlist.title, 60)}"; "call it ..." renames it.')
        if not edit.positions and edit.topic == "why":  # "why these songs?": how the whole playlist was chosen
            return _Outcome("answer", _why_playlist(self.playlist, self.current.request))
        if edit.topic == "meaning":  # "what does valence mean?"
            return _Outcome("answer", FEATURE_MEANINGS[edit.about or "energy"])
        if not edit.positions:
            return _Outcome("answer", _playlist_answer(tracks, edit.topic or "count"))
        playlist = self.playlist
        assert playlist is not None
        labels = LabelNames.for_playlist(playlist, self.vocabulary)
        answers = [_track_answer(p + 1, tracks[p], edit.topic or "why", playlist, self.current.request, labels)
                   for p in edit.positions[:MAX_ANSWERS]]
        return _Outcome("answer", "\n".join(answers))

    # -------------------------------------------------------------- helpers

    def _next(self, playlist: Playlist | None, *, banned: frozenset[str] | None = None,
              request: str | None = None, title: str | None = None) -> Version:
        """The next version: this one's bans, request and given name unless given (a new request drops the name:
        edits that rebuild the playlist made their own title from the request)."""
        current = self.current
        named = title if title is not None else current.title if request is None else ""
        if named and playlist is not None and playlist.title != named:
            playlist = playlist.model_copy(update={"title": named})
        return Version(playlist, current.banned if banned is None else banned, current.banned_artists,
                       current.request if request is None else request, title=named)

    def _full(self) -> _Outcome:
        return _Outcome("message", f"The playlist already holds the most tracks allowed ({self.assistant.max_tracks}).")

    def _reasons_with(self, new: dict[str, str]) -> dict[str, str]:
        """The current playlist's reasons per track, and those of the tracks joining it."""
        return {**(self.playlist.reasons if self.playlist else {}), **new}

    def _asked_for(self) -> set[str]:
        """The playlist's tracks the listener asked for: added by name or on request, or by an artist they named."""
        playlist = self.playlist
        if playlist is None:
            return set()
        named = {artist_key(a) for a in playlist.spec.seed_artists}
        return {t.track_id for t in playlist.tracks if artist_key(t.artist) in named
                or ASKED_FOR in playlist.reasons.get(t.track_id, "")}

    def _tracks(self) -> list[Track]:
        return list(self.playlist.tracks) if self.playlist is not None else []

    def _spec(self) -> PlaylistSpec:
        return self.spec or PlaylistSpec()

    def _positions_of(self, track_id: str) -> list[int]:
        return [i for i, t in enumerate(self._tracks()) if t.track_id == track_id] or [-1]

    def _check_positions(self, positions: list[int]) -> str | None:
        n = len(self._tracks())
        bad = [p for p in positions if not 0 <= p < n]
        if not bad:
            return None
        tracks = f"the playlist has {n} track{'s' if n != 1 else ''}"
        return f"There is no track {bad[0] + 1}: {tracks}." if bad[0] >= 0 else \
            f"Tracks are numbered from 1 and {tracks}."  # "remove track 0" said "There is no track ?"

    def _build(self, spec: PlaylistSpec, query: SearchQuery | None = None, avoid: list[str] | None = None) -> Playlist:
        """A playlist from the builder, honouring this chat's bans and the listener's taste."""
        assistant = self.assistant
        banned_artists = list(self.current.banned_artists)
        if banned_artists:
            spec = spec.model_copy(update={"exclude_artists": list(dict.fromkeys([*spec.exclude_artists,
                                                                                  *banned_artists]))})
        spec, taste_score, taste, notices = assistant.personaliser.prepare(spec, assistant.index)
        # `avoid` are the tracks staying in the playlist: the new ones join them under the per-artist caps
        playlist = assistant.builder.build(spec, query, avoid=[*self.banned, *(avoid or [])], extra=taste_score,
                                           taken=avoid or [])
        if taste is not None:
            add_taste_reasons(playlist, taste)
        playlist.notices.extend(notices)
        return playlist

    def _kept_relaxations(self, added: list[Relaxation]) -> list[Relaxation]:
        """The relaxations the kept tracks were chosen under (not the old length: the length is asked anew)
        and those of the tracks added to them."""
        merged = {r.constraint: r for r in added}
        kept = self.playlist.relaxed if self.playlist else []
        merged.update({r.constraint: r for r in kept if r.constraint != LENGTH})
        return list(merged.values())

    def _derive(self, tracks: list[Track], spec: PlaylistSpec, *, reasons: dict[str, str] | None = None,
                relaxed: list[Relaxation] | None = None) -> Playlist:
        """The current playlist with another track list (and spec)."""
        before = self.playlist
        reasons = reasons if reasons is not None else dict(before.reasons) if before else {}
        relaxed = list(relaxed if relaxed is not None else before.relaxed if before else [])
        if (short := self._minutes_shortfall(tracks, spec)) and all(r.constraint != LENGTH for r in relaxed):
            relaxed.append(Relaxation(constraint=LENGTH, reason=short))
        return Playlist(
            title=before.title if before else "Segue mix",
            description=_description(tracks),
            tracks=tracks,
            reasons={t.track_id: reasons.get(t.track_id, "") for t in tracks},
            spec=spec,
            relaxed=relaxed,
        )

    def _minutes_shortfall(self, tracks: list[Track], spec: PlaylistSpec) -> str | None:
        """Why a playlist edited piece by piece misses its length in minutes, or None when it does not: every
        edit path ends here, so none can miss the target silently (e.g. at the track limit)."""
        if spec.target_count() is not None or spec.minutes is None:
            return None
        total = sum(t.duration_ms or 0 for t in tracks)
        longest = max((t.duration_ms or 0 for t in tracks), default=0)
        if tracks and abs(total - spec.minutes * 60_000) <= longest:
            return None
        limit = self.assistant.max_tracks
        why = f"a playlist holds at most {limit} tracks" if len(tracks) >= limit else "no more tracks fit"
        return f"{len(tracks)} tracks make {total / 60_000:.0f} of the {spec.minutes:g} minutes asked for: {why}"


# ---------------------------------------------------------------------------------------------- text


def _added_relaxations(added: list[Track], tracks: list[Track], spec: PlaylistSpec,
                       relaxed: list[Relaxation]) -> list[Relaxation]:
    """`relaxed` plus each constraint of `spec` that a track the listener added by name breaks (years, genres,
    features, fame, the per-artist cap over `tracks`), reported rather than broken silently."""
    out = {r.constraint: r for r in relaxed}
    cap, named = artist_caps(spec)
    per_artist = Counter(artist_key(t.artist) for t in tracks)
    for track in added:
        why = f"\"{sanitize(track.title)}\" added at your request"
        for constraint, what in track_breaks(track, spec):
            out.setdefault(constraint, Relaxation(constraint=constraint, reason=f"{why}: {what}"))
        key = artist_key(track.artist)
        if per_artist[key] > named.get(key, cap):
            out.setdefault(MAX_PER_ARTIST, Relaxation(
                constraint=MAX_PER_ARTIST, reason=f"{why}: {per_artist[key]} tracks by {sanitize(track.artist, 60)}"))
    return list(out.values())


def _chunk(event: IntroSentence | TrackLine, tracks: list[Track], first: bool) -> str:
    if isinstance(event, IntroSentence):
        return event.text if first else " " + event.text
    line = f"{track_heading(event.n, tracks[event.n - 1])}: {event.text}"
    return ("\n\n" if event.n == 1 else "\n") + line


def _request_text(version: Version, label: str) -> str:
    text = version.request or (version.playlist.spec.description if version.playlist else "")
    return f"{text} ({label})" if label and label not in ("new playlist", "updated") else text


_POINTER = re.compile(r"^(\W*(?:(?:ok|okay|great|cool|hmm+|then|now|please|and|so|can you|could you)\W+)*"
                      r"(?:replace|remove|drop|delete|skip|cut|ditch|move|put|swap out|switch out|get rid of|take out|"
                      r"more like|something like|songs like|more songs like)\s+)(?:it|that one|that song|that track|"
                      # not "put it on my spotify": the playlist
                      r"this one|this song|that)\b(?!\s+(?:on|onto|into|to|in)\s+(?:my|spotify|apple|youtube|itunes|"
                      r"deezer|tidal)\b)", re.IGNORECASE)


def _description(tracks: list[Track]) -> str:
    minutes = round(sum(t.duration_ms or 0 for t in tracks) / 60000)
    return f"{len(tracks)} tracks, {minutes} min"


def _changes(before: Playlist | None, after: Playlist, label: str) -> Changes:
    old = before.track_ids() if before else []
    new = after.track_ids()
    added = [t for t in new if t not in old]
    removed = [t for t in old if t not in new]
    parts = []
    if added or removed:
        parts.append(f"+{len(added)} −{len(removed)}")
    elif old != new:
        parts.append("order changed")
    if label:
        parts.append(label)
    return Changes(added, removed, ", ".join(parts) or "no change")


def _setting_label(spec: PlaylistSpec, name: str) -> str:
    if name == "popularity":
        return {"hits": "hits only", "deep_cuts": "deep cuts only"}.get(spec.popularity, "any popularity")
    if name == "allow_remixes":
        return "remixes allowed" if spec.allow_remixes else "no remixes"
    if name == "allow_live":
        return "live versions allowed" if spec.allow_live else "no live versions"
    return f"at most {spec.max_per_artist} per artist"


def _places(positions: list[int]) -> str:
    """Places in the playlist (from 0) as said: "tracks 6–15", "tracks 1, 3 and 5–7"."""
    runs: list[list[int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    said = [f"{r[0] + 1}" if len(r) == 1 else f"{r[0] + 1}–{r[-1] + 1}" for r in runs]
    return ("track " if len(positions) == 1 else "tracks ") + join_and(said)


def _relaxation_notices(relaxed: list[Relaxation]) -> list[str]:
    return [f"relaxed {r.constraint}: {r.reason}" for r in relaxed]


def _narrowed(playlist: dict[str, Range], asked: dict[str, Range]) -> dict[str, Range]:
    """The playlist's feature ranges narrowed by those asked for ("rainy" songs in a calmer playlist stay as calm);
    an asked range that contradicts the playlist's replaces it ("add some upbeat songs" to calm ones)."""
    out = dict(playlist)
    for name, r in asked.items():
        both = intersect(out[name], r) if name in out else r
        out[name] = r if both.is_empty() or both.min == both.max else both
    return out


def _length_kept(edit: Edit, tracks: list[Track]) -> str | None:
    """What to say when the playlist already keeps the bound a length edit asks for ("no more than 20 songs" of
    15, "under an hour" of 51 minutes), or None: it changes nothing."""
    if edit.bound == "about":
        return None
    total = sum(t.duration_ms or 0 for t in tracks)
    have, asked = (len(tracks), edit.n_tracks) if edit.n_tracks is not None else (total / 60_000, edit.minutes)
    if asked is None or (have > asked if edit.bound == "at_most" else have < asked):
        return None
    bound = edit.bound.replace("_", " ")
    wanted = f"{asked} tracks" if edit.n_tracks is not None else f"{asked:g} minutes"
    return f"The playlist already keeps that: {len(tracks)} tracks ({format_duration(total)}), {bound} {wanted}."


def _cut(tracks: list[Track], asked: set[str], *, n: int | None = None, target_ms: float | None = None) -> list[Track]:
    """The tracks kept, in order, when a playlist is cut to `n` tracks or to the length closest to `target_ms` (at
    least one): the last go first, those the listener asked for (`asked`) only when the others are gone."""
    order = [i for i in reversed(range(len(tracks))) if tracks[i].track_id not in asked] + \
        [i for i in reversed(range(len(tracks))) if tracks[i].track_id in asked]
    dropped: set[int] = set()
    total = sum(t.duration_ms or 0 for t in tracks)
    for i in order:
        if len(tracks) - len(dropped) <= (n if n is not None else 1):
            break
        if target_ms is not None:
            shorter = total - (tracks[i].duration_ms or 0)
            if abs(shorter - target_ms) >= abs(total - target_ms):
                break  # the length only moves away from the target from here
            total = shorter
        dropped.add(i)
    return [t for i, t in enumerate(tracks) if i not in dropped]


def _level(value: float) -> str:
    return "high" if value >= 0.66 else "low" if value < 0.33 else "medium"


def _track_answer(n: int, t: Track, topic: str, playlist: Playlist, request: str, labels: LabelNames) -> str:
    name = f"Track {n}, \"{sanitize(t.title)}\" by {sanitize(t.artist, 60)},"
    if topic == "tempo":
        return f"{name} is at {round(t.tempo)} BPM ({tempo_word(t.tempo)})." if t.tempo else \
            f"{name} has no known tempo."
    if topic == "year":
        return f"{name} came out in {t.year}." if t.year else f"{name} has no known release year."
    if topic == "genre":
        labels = list(dict.fromkeys([*t.subgenres, *t.genres]))
        return f"{name} is tagged {', '.join(labels)}." if labels else f"{name} has no genre tags."
    if topic in ("energy", "danceability"):
        value = getattr(t, topic)
        return f"{name} has {topic} {value:.2f} of 1 ({_level(value)})." if value is not None else \
            f"{name} has no known {topic}."
    if topic == "mood":
        words = [w for w in sound_words(t) if w in ("upbeat", "melancholic", "calm", "high-energy")]
        valence = f"valence {t.valence:.2f}" if t.valence is not None else "unknown valence"
        return f"{name} has {valence} and energy {t.energy:.2f}" + (f": {' and '.join(words)}." if words else ".") \
            if t.energy is not None else f"{name} has {valence}."
    if topic == "duration":
        return f"{name} lasts {format_duration(t.duration_ms)}."
    if topic == "album":
        return f"{name} is from the album \"{sanitize(t.album)}\"." if t.album else f"{name} has no known album."
    if topic == "popularity":
        return f"{name} has Spotify popularity {t.popularity} of 100." if t.popularity is not None else \
            f"{name} has no known popularity."
    if topic == "artist":
        return f"Track {n}, \"{sanitize(t.title)}\", is by {sanitize(t.artist, 60)}."
    asked = sanitize(request or playlist.spec.description, 120)
    why = playlist.reasons.get(t.track_id) or metadata_line(t, labels=labels)
    fits = f"your request \"{asked}\"" if asked else "the playlist"
    return f"{name} fits {fits}: {why.rstrip('.')}."


def _kept_constraints(spec: PlaylistSpec) -> dict[str, str]:
    """The spec's hard constraints, by the name a relaxation gives them, in the words of the change summaries."""
    kept = {GENRES: "genre " + " or ".join(spec.genres)} if spec.genres else {}
    kept |= {"exclude_genres": "no " + ", ".join(spec.exclude_genres)} if spec.exclude_genres else {}
    if spec.year_min is not None or spec.year_max is not None:
        kept[YEAR] = describe_range("year", Range(min=spec.year_min, max=spec.year_max))
    kept |= {name: describe_range(name, r) for name, r in spec.features.items()}
    kept |= {TRACK_MINUTES: describe_range(TRACK_MINUTES, spec.track_minutes)} if spec.track_minutes else {}
    kept |= {POPULARITY: _setting_label(spec, POPULARITY)} if spec.popularity != "any" else {}
    if spec.exclude_artists:
        kept["exclude_artists"] = "no " + ", ".join(sanitize(a, 40) for a in spec.exclude_artists[:5])
    if spec.artist_caps:
        kept["artist_caps"] = ", ".join(f"at most {n} by {sanitize(a, 40)}" for a, n in spec.artist_caps.items())
    return kept | {MAX_PER_ARTIST: f"at most {artist_caps(spec)[0]} per artist"}


def _why_playlist(playlist: Playlist, request: str) -> str:
    """What every track keeps, how they were ranked among the tracks that keep it, and what was relaxed (the
    builder's own words: what it did, after what it found)."""
    spec = playlist.spec
    relaxed = {r.constraint: r.reason.rpartition("; ")[2] for r in playlist.relaxed}
    kept = [words for name, words in _kept_constraints(spec).items() if name not in relaxed]
    named = [sanitize(a, 40) for a in spec.seed_artists[:3]]
    around = f", built around {', '.join(named)}" if named and not spec.others_only else \
        f", by artists that sound like {', '.join(named)}" if named else ""
    text = f'You asked for "{sanitize(request, 120)}". ' if request else ""
    text += (f"Every track keeps {'; '.join(kept)}{around}. Among the catalog tracks that do, these match your words "
             "best: their titles, artists, genres and sound, by meaning and by word.")
    if spec.ordering != "retrieved":
        text += f" Their order: {ORDER_WORDS.get(spec.ordering, spec.ordering)}."
    if relaxed:
        text += " Too few tracks fit everything, so: " + "; ".join(relaxed.values()) + "."
    return text + ' Ask "why track 3?" for one track\'s reasons.'


def _playlist_answer(tracks: list[Track], topic: str) -> str:
    if not tracks:
        return "The playlist is empty."
    minutes = round(sum(t.duration_ms or 0 for t in tracks) / 60000)
    if topic == "tempo":
        tempos = [t.tempo for t in tracks if t.tempo]
        return (f"Tempos run from {round(min(tempos))} to {round(max(tempos))} BPM, {round(sum(tempos) / len(tempos))} "
                "on average.") if tempos else "No track has a known tempo."
    if topic == "year":
        years = [t.year for t in tracks if t.year]
        return f"The tracks come from {min(years)} to {max(years)}." if years else "No track has a known year."
    if topic == "genre":
        labels: dict[str, int] = {}
        for t in tracks:
            for label in dict.fromkeys([*t.subgenres, *t.genres]):
                labels[label] = labels.get(label, 0) + 1
        top = sorted(labels.items(), key=lambda kv: -kv[1])[:4]
        return "Mostly " + ", ".join(f"{g} ({n})" for g, n in top) + "." if top else "No genre tags."
    if topic in ("artists", "artist"):  # "any duplicate artists?", "which artists are in it?", "who is on it?"
        counts = Counter(t.artist for t in tracks)
        names = ", ".join(sanitize(a, 40) for a in list(counts)[:MAX_LISTED_ARTISTS])
        more = f" and {len(counts) - MAX_LISTED_ARTISTS} more" if len(counts) > MAX_LISTED_ARTISTS else ""
        repeated = ", ".join(f"{sanitize(a, 40)} ({n})" for a, n in counts.most_common() if n > 1)
        return f"{len(counts)} artists for {len(tracks)} tracks: {names}{more}. " + (
            f"More than once: {repeated} (\"at most one per artist\" changes that)." if repeated else "Each once.")
    if topic in ("energy", "danceability", "mood"):
        feature = "valence" if topic == "mood" else topic
        values = [getattr(t, feature) for t in tracks if getattr(t, feature) is not None]
        return f"Average {feature}: {sum(values) / len(values):.2f} of 1." if values else f"No known {feature}."
    if topic == "seasonal":
        return "There are no Christmas songs in the playlist: they come only when a request names the season."
    if topic == "playback":
        first = tracks[0]
        return (f"I choose tracks from the catalog but can't play them. The playlist is listed here: {len(tracks)} "
                f"tracks, {minutes} minutes, starting with \"{sanitize(first.title, 60)}\" by "
                f"{sanitize(first.artist, 40)}. Export it (M3U, XSPF or JSON) to play it in a music app.")
    if topic == "explicit":
        return ("The catalog doesn't say which songs have explicit lyrics, so I can't leave them out; the playlist "
                "stays as it is.")
    if topic == "duplicates":
        return "No song is in the playlist twice, in any version: there is nothing to remove."
    if topic == "naming":
        return ("Yes: name a song with its artist (\"add Hey Ya by OutKast\") or an artist (\"some Prince\") and it "
                "joins the playlist if the catalog has it.")
    if topic == "links":  # the default catalog's ids are Spotify's
        shown = " ".join(f"{i + 1}. {SPOTIFY_TRACK_URL}{t.track_id}" for i, t in enumerate(tracks[:MAX_ANSWERS]))
        more = f" (and the other {len(tracks) - MAX_ANSWERS})" if len(tracks) > MAX_ANSWERS else ""
        return (f"Each track's id is its Spotify id: {shown}{more}. The CSV and JSON exports list every id, and "
                "the M3U and XSPF exports link every track.")
    if topic == "export":
        return ("I can't send it anywhere myself: save it with the Export buttons beside the playlist (M3U, XSPF, "
                "JSON or CSV) and open the file in a music app; `segue playlist \"<request>\" --json` prints one too.")
    return f"The playlist has {len(tracks)} track{'s' if len(tracks) != 1 else ''}, {minutes} minutes in all."
