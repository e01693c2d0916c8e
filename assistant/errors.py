"""Assistant-level errors meant for the user (one line that says what to do)."""

from __future__ import annotations

from retrieval.errors import SegueError


class RequestError(SegueError):
    """A request the assistant cannot take as given."""


class EmptyRequestError(RequestError):
    def __init__(self) -> None:
        super().__init__("the request is empty: describe the music you want, e.g. \"upbeat 80s synthpop for a run\"")


class RequestTooLongError(RequestError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the request has {length} characters, more than the limit of {limit}: shorten it "
                         "(or raise SEGUE_MAX_MESSAGE_CHARS)")


class InvalidOverrideError(RequestError):
    """A `generate_playlist` keyword that is not a PlaylistSpec field, or a value the spec refuses."""
