"""The Python API: `MusicAssistant().generate_playlist("upbeat 80s synthpop for a run")`.

Request -> `understand` (the request parser, and the LLM when one is given) -> `PlaylistSpec`, with the
caller's keyword overrides applied -> `PlaylistBuilder.build`. The index is opened on first use, so creating
a `MusicAssistant` loads nothing.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.builder import BuildConfig, PlaylistBuilder
from assistant.errors import EmptyRequestError, InvalidOverrideError, RequestTooLongError
from assistant.playlist import Playlist
from assistant.profiles import ProfileStore, store_path
from assistant.spec import MAX_TRACKS, PlaylistSpec
from assistant.taste import Personaliser, add_taste_reasons
from retrieval.hybrid import HybridSearcher
from retrieval.index import TrackIndex, open_index
from retrieval.settings import Settings, get_settings

if TYPE_CHECKING:
    from assistant.chat import Chat

_LENGTH_FIELDS = ("n_tracks", "minutes")


class MusicAssistant:
    def __init__(self, settings: Settings | None = None, *, index: TrackIndex | None = None, llm: Any = None,
                 user: str | None = None, personalize: float = 0.5) -> None:
        self.settings = settings or get_settings()
        self.llm = llm
        self.user = user  # whose taste steers the playlists (profiles.sqlite in the data dir)
        # `personalize`: 0 = the request alone, 1 = the listener's taste weighs twice the request's meaning.
        self.personaliser = Personaliser(ProfileStore(store_path(self.settings.data_dir)), user, personalize)
        self._index = index
        self._builder: PlaylistBuilder | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> TrackIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = open_index(self.settings, use_store=False)  # building needs no Chroma
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
        return self._spec(request, overrides)[0]

    def read_request(self, request: str) -> tuple[PlaylistSpec, list[str]]:
        """The spec for `request` and what the listener should know of its reading (a genre the catalog lacks,
        the language model unavailable)."""
        return self._spec(request, {})

    def generate_playlist(self, request: str, **overrides: Any) -> Playlist:
        """A playlist for a plain-language request. Keyword overrides are PlaylistSpec fields, e.g.
        `n_tracks=20, year_min=1980, ordering="arc"`; they win over what the request says."""
        spec, notices = self._spec(request, overrides)
        spec, taste_score, taste, taste_notices = self.personaliser.prepare(spec, self.index)
        playlist = self.builder.build(spec, extra=taste_score)
        if taste is not None:
            add_taste_reasons(playlist, taste)
        playlist.notices.extend([*notices, *taste_notices])
        return playlist

    def feedback(self, track_id: str, liked: bool | None = True) -> None:
        """Like (True) or dislike (False) a catalog track for this assistant's user; None forgets it.
        Disliked tracks and artists never appear again; liked ones steer the next playlists."""
        self.personaliser.feedback(self.index, track_id, liked)

    def start_chat(self, llm: Any = None, *, use_llm: bool = True) -> Chat:
        """A conversation: `chat.send("upbeat 80s synthpop")`, then "more upbeat", "undo", ... The explanations
        are written by `llm` (default: this assistant's, else the configured one); `use_llm=False`: metadata only."""
        from assistant.chat import Chat

        return Chat(self, llm, use_llm=use_llm)

    def _spec_llm(self) -> Any:
        """The LLM that may propose spec fields: the one given, else a configured server. The embedded model is
        never asked (its proposals make specs worse), so a default assistant loads no LLM to build a playlist."""
        if self.llm is not None:
            return self.llm
        if self.settings.resolved_llm_backend == "openai":
            from assistant.llm import get_llm

            return get_llm(self.settings)
        return None

    def _spec(self, request: str, overrides: dict[str, Any]) -> tuple[PlaylistSpec, list[str]]:
        from assistant.understand import understand

        notices: list[str] = []
        parsed = understand(self.check_request(request), self.index, llm=self._spec_llm(), settings=self.settings,
                            notices=notices)
        unknown = sorted(set(overrides) - set(PlaylistSpec.model_fields))
        if unknown:
            raise InvalidOverrideError(f"unknown playlist option {', '.join(unknown)}: use one of "
                                       f"{', '.join(PlaylistSpec.model_fields)}")
        data = parsed.model_dump()
        if any(k in overrides for k in _LENGTH_FIELDS):  # a length given by the caller replaces the parsed one
            data.update(dict.fromkeys(_LENGTH_FIELDS))
        data.update(overrides)
        asked = data.get("n_tracks")
        if isinstance(asked, int) and not isinstance(asked, bool) and asked > self.max_tracks:
            data["n_tracks"] = self.max_tracks
            notices.append(f"a playlist holds at most {self.max_tracks} tracks; {asked} were asked for")
        try:
            return PlaylistSpec.model_validate(data), notices
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "spec"
            raise InvalidOverrideError(f"invalid playlist option {where}: {first['msg']}") from None
