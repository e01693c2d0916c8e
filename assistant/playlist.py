"""`Playlist`: what the assistant returns. Every track is a catalog `Track`; nothing here is invented."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant import export
from assistant.spec import PlaylistSpec
from retrieval.catalog import Track


class Relaxation(BaseModel):
    """A hard constraint that could not be met, and what was done instead."""

    constraint: str
    reason: str


class Playlist(BaseModel):
    title: str
    description: str = ""
    tracks: list[Track] = Field(default_factory=list)
    reasons: dict[str, str] = Field(default_factory=dict, description="track_id -> why it fits")
    spec: PlaylistSpec = Field(default_factory=PlaylistSpec)
    relaxed: list[Relaxation] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list, description="things the listener should know")

    @property
    def total_ms(self) -> int:
        return sum(t.duration_ms or 0 for t in self.tracks)

    def track_ids(self) -> list[str]:
        return [t.track_id for t in self.tracks]

    def to_m3u(self) -> str:
        return export.to_m3u(self)

    def to_xspf(self) -> str:
        return export.to_xspf(self)

    def to_json(self) -> str:
        return export.to_json(self)

    def to_csv(self) -> str:
        return export.to_csv(self)
