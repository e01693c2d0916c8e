"""Exact metadata filters as numpy masks over a `TrackIndex` (no Chroma `where` round trip)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from retrieval.index import TrackIndex, artist_key


class Range(BaseModel):
    """A closed interval; either end may be open (None). NaN and infinities are refused: a NaN bound would
    let no value in while looking like a constraint."""

    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)

    def contains(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def is_empty(self) -> bool:
        return self.min is not None and self.max is not None and self.min > self.max


class TrackFilter(BaseModel):
    """Hard constraints on track metadata. A track with an unknown value fails a constraint on that value."""

    year: Range | None = None
    features: dict[str, Range] = Field(default_factory=dict)
    popularity: Range | None = None
    duration_ms: Range | None = None
    include_labels: list[str] = Field(default_factory=list, description="genres or subgenres; any one suffices")
    exclude_labels: list[str] = Field(default_factory=list)
    exclude_artists: list[str] = Field(default_factory=list)
    exclude_track_ids: list[str] = Field(default_factory=list)
    only_track_ids: list[str] | None = None

    def is_empty(self) -> bool:
        return self == TrackFilter()


def _range_mask(values: np.ndarray, r: Range) -> np.ndarray:
    mask = ~np.isnan(values)
    if r.min is not None:
        mask &= values >= r.min
    if r.max is not None:
        mask &= values <= r.max
    return mask


def filter_mask(index: TrackIndex, f: TrackFilter) -> np.ndarray:
    n = len(index)
    mask = np.ones(n, dtype=bool)
    if f.year:
        mask &= _range_mask(index.year, f.year)
    for name, r in f.features.items():
        mask &= _range_mask(index.features[name], r)
    if f.popularity:
        mask &= _range_mask(index.popularity, f.popularity)
    if f.duration_ms:
        mask &= _range_mask(index.duration_ms, f.duration_ms)
    if f.include_labels:
        include = np.zeros(n, dtype=bool)
        for label in f.include_labels:
            m = index.labels.get(label.lower())
            if m is not None:
                include |= m
        mask &= include
    for label in f.exclude_labels:
        m = index.labels.get(label.lower())
        if m is not None:
            mask &= ~m
    if f.exclude_artists:
        keys = [artist_key(a) for a in f.exclude_artists]
        numbers = [index.artist_index[k] for k in keys if k in index.artist_index]
        if numbers:
            mask &= ~np.isin(index.artist, numbers)
        for k in keys:  # "no Drake" leaves out "Life Is Good (feat. Drake)" too
            if k in index.featuring:
                mask[index.featuring[k]] = False
    if f.exclude_track_ids:
        rows = [index.row[t] for t in f.exclude_track_ids if t in index.row]
        mask[rows] = False
    if f.only_track_ids is not None:
        only = np.zeros(n, dtype=bool)
        only[[index.row[t] for t in f.only_track_ids if t in index.row]] = True
        mask &= only
    return mask
