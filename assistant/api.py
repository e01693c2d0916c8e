"""The Python API: `MusicAssistant().generate_playlist("upbeat 80s synthpop for a run")`.

Request -> `understand` (the request parser, and the LLM when one is given) -> `PlaylistSpec`, with the
caller's keyword overrides applied -> `PlaylistBuilder.build`. The index is opened on first use, so creating
a `MusicAssistant` loads nothing.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import ValidationError

from assistant.builder import BuildConfig, PlaylistBuilder
from assistant.errors import EmptyRequestError, InvalidOverrideError, RequestTooLongError
from assistant.playlist import Playlist
from assistant.spec import MAX_TRACKS, PlaylistSpec
from retrieval.hybrid import HybridSearcher
from retrieval.index import TrackIndex, open_index
from retrieval.settings import Settings, get_settings

_LENGTH_FIELDS = ("n_tracks", "minutes")


class MusicAssistant:
    def __init__(self, settings: Settings | None = None, *, index: TrackIndex | None = None, llm: Any = None,
                 user: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.llm = llm
        self.user = user  # whose taste to use; accepted now, personalisation comes later
        self._index = index
        self._builder: PlaylistBuilder | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> TrackIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = open_index(self.settings)
        return self._index

    @property
    def builder(self) -> PlaylistBuilder:
        if self._builder is None:
            index = self.index
            with self._lock:
                if self._builder is None:
                    self._builder = PlaylistBuilder(index, HybridSearcher(index),
                                                    BuildConfig(max_tracks=self.max_tracks))
        return self._builder

    @property
    def max_tracks(self) -> int:
        return min(self.settings.max_tracks, MAX_TRACKS)

    def check_request(self, request: str) -> str:
        """The request, stripped; raises a `RequestError` when it is empty or too long."""
        if not isinstance(request, str) or not request.strip():
            raise EmptyRequestError()
        if len(request) > self.settings.max_message_chars:
            raise RequestTooLongError(len(request), self.settings.max_message_chars)
        return request.strip()

    def understand(self, request: str, **overrides: Any) -> PlaylistSpec:
        """The spec for `request`, with `overrides` (PlaylistSpec fields) applied on top."""
        from assistant.understand import understand

        spec = understand(self.check_request(request), self.index, llm=self.llm)
        return self.apply_overrides(spec, overrides)

    def apply_overrides(self, spec: PlaylistSpec, overrides: dict[str, Any]) -> PlaylistSpec:
        unknown = sorted(set(overrides) - set(PlaylistSpec.model_fields))
        if unknown:
            raise InvalidOverrideError(f"unknown playlist option {', '.join(unknown)}: use one of "
                                       f"{', '.join(PlaylistSpec.model_fields)}")
        data = spec.model_dump()
        if any(k in overrides for k in _LENGTH_FIELDS):  # a length given by the caller replaces the parsed one
            data.update(dict.fromkeys(_LENGTH_FIELDS))
        data.update(overrides)
        if isinstance(data.get("n_tracks"), int) and data["n_tracks"] > self.max_tracks:
            data["n_tracks"] = self.max_tracks
        try:
            return PlaylistSpec.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "spec"
            raise InvalidOverrideError(f"invalid playlist option {where}: {first['msg']}") from None

    def generate_playlist(self, request: str, **overrides: Any) -> Playlist:
        """A playlist for a plain-language request. Keyword overrides are PlaylistSpec fields, e.g.
        `n_tracks=20, year_min=1980, ordering="arc"`; they win over what the request says."""
        spec = self.understand(request, **overrides)
        notices = []
        asked = overrides.get("n_tracks")
        if isinstance(asked, int) and asked > self.max_tracks:
            notices.append(f"a playlist holds at most {self.max_tracks} tracks; {asked} were asked for")
        playlist = self.builder.build(spec)
        playlist.notices.extend(notices)
        return playlist
