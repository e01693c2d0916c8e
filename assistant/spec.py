"""`PlaylistSpec`: the single description of what to build, shared by the parser, the LLM, the builder,
the conversation and the evals."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from retrieval.filters import Range, TrackFilter

FeatureName = Literal["energy", "valence", "danceability", "acousticness", "instrumentalness", "speechiness", "tempo"]
FEATURE_NAMES: tuple[str, ...] = ("energy", "valence", "danceability", "acousticness", "instrumentalness",
                                  "speechiness", "tempo")
Ordering = Literal["retrieved", "rising", "falling", "arc", "smooth"]
Popularity = Literal["any", "hits", "deep_cuts"]
LengthBound = Literal["about", "at_most", "at_least"]

# What "hits" and "deep cuts" mean on Spotify's 0-100 popularity scale (catalog median is 45).
HITS_MIN_POPULARITY = 60
DEEP_CUTS_MAX_POPULARITY = 40
DEFAULT_TRACKS = 15
MAX_TRACKS = 100
MAX_MINUTES = 600


class PlaylistSpec(BaseModel):
    """Hard constraints (filters, length, caps) plus the soft intent used for ranking (description, seeds)."""

    description: str = Field(default="", max_length=2000, description="free text for semantic search")
    about: str = Field(default="", max_length=200, description="what the songs should be about (\"songs about "
                       "rain\"): searched in each track's own title, as the catalog has no lyrics")
    seed_artists: list[str] = Field(default_factory=list, description="catalog artist names to build around")
    seed_tracks: list[str] = Field(default_factory=list, description="catalog track ids to build around")
    others_only: bool = Field(default=False, description="the seed artists are references: the playlist is of "
                              "other artists that sound like them (\"bands like Pixies\")")
    genres: list[str] = Field(default_factory=list, description="catalog genres or subgenres; any one suffices")
    exclude_genres: list[str] = Field(default_factory=list)
    year_min: int | None = Field(default=None, ge=1900, le=2100)
    year_max: int | None = Field(default=None, ge=1900, le=2100)
    features: dict[FeatureName, Range] = Field(default_factory=dict, description="energy etc. on 0..1; tempo in BPM")
    track_minutes: Range | None = Field(default=None, description="each track's length, in minutes")
    n_tracks: int | None = Field(default=None, ge=1, le=MAX_TRACKS)
    minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    length_bound: LengthBound = Field(default="about", description="how `minutes` binds: within one track's length "
                                      "either side (\"an hour\"), at most (\"under an hour\") or at least")
    exclude_artists: list[str] = Field(default_factory=list)
    exclude_tracks: list[str] = Field(default_factory=list, description="catalog track ids never to include")
    max_per_artist: int | None = Field(default=None, ge=1, le=MAX_TRACKS)
    artist_caps: dict[str, int] = Field(default_factory=dict, description="catalog artist -> at most this many of "
                                        "their tracks (\"no more than one Queen song\"); never relaxed")
    popularity: Popularity = "any"
    ordering: Ordering = "retrieved"
    allow_remixes: bool = False
    allow_live: bool = Field(default=True, description="live recordings allowed (\"no live versions\" sets False)")

    @field_validator("genres", "exclude_genres")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))

    @field_validator("artist_caps")
    @classmethod
    def _caps_in_range(cls, caps: dict[str, int]) -> dict[str, int]:
        if any(not 1 <= n <= MAX_TRACKS for n in caps.values()):
            raise ValueError(f"a cap per artist must be 1-{MAX_TRACKS}")
        return caps

    @model_validator(mode="after")
    def _consistent(self) -> "PlaylistSpec":
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year range {self.year_min}-{self.year_max} is empty")
        for name, r in self.features.items():
            if r.is_empty():
                raise ValueError(f"{name} range {r.min}-{r.max} is empty")
        if self.track_minutes is not None and self.track_minutes.is_empty():
            raise ValueError(f"track length range {self.track_minutes.min}-{self.track_minutes.max} is empty")
        return self

    def target_count(self) -> int | None:
        """The track count asked for, or None when the length is given in minutes."""
        if self.n_tracks is not None:
            return self.n_tracks
        return None if self.minutes is not None else DEFAULT_TRACKS

    def popularity_range(self) -> Range | None:
        if self.popularity == "hits":
            return Range(min=HITS_MIN_POPULARITY)
        if self.popularity == "deep_cuts":
            return Range(max=DEEP_CUTS_MAX_POPULARITY)
        return None

    def track_filter(self) -> TrackFilter:
        """The hard metadata constraints of this spec as a retrieval filter."""
        year = None
        if self.year_min is not None or self.year_max is not None:
            year = Range(min=self.year_min, max=self.year_max)
        return TrackFilter(
            year=year,
            features=dict(self.features),
            popularity=self.popularity_range(),
            duration_ms=track_ms(self.track_minutes),
            include_labels=list(self.genres),
            exclude_labels=list(self.exclude_genres),
            exclude_artists=list(self.exclude_artists),
            exclude_track_ids=list(self.exclude_tracks),
        )


def track_ms(minutes: Range | None) -> Range | None:
    """A per-track length in minutes as the catalog's milliseconds."""
    if minutes is None:
        return None
    return Range(min=None if minutes.min is None else minutes.min * 60_000,
                 max=None if minutes.max is None else minutes.max * 60_000)
