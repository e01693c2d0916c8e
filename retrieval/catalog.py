"""Catalog loading and validation: the Spotify songs CSV and a user's own CSV / JSONL catalog.

Two formats are read:

* the default catalog (`spotify_songs.csv[.gz]`, one row per (track, playlist) pair), which yields both
  tracks and the playlists they belong to;
* a user's own catalog, CSV or JSONL, one track per row. Required: `id`, `title`, `artist`. Optional:
  `album`, `album_id`, `year` or `release_date`, `duration_ms`, `popularity`, `genres` and `subgenres`
  (a list, or a string separated by `|` or `;`) and every audio feature by its Spotify name
  (`danceability`, `energy`, `key`, `loudness`, `mode`, `speechiness`, `acousticness`, `instrumentalness`,
  `liveness`, `valence`, `tempo`). A missing feature stays `None`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, Field

from retrieval.errors import SegueError

AUDIO_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)
# Features on a 0..1 scale; the others (key, loudness, mode, tempo) have their own units.
UNIT_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
)


class CatalogError(SegueError):
    """A catalog that cannot be read at all (missing file, wrong format). Its message is one line."""


class Track(BaseModel):
    """One catalog track with its metadata and Spotify audio features (`None` when unknown)."""

    track_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    artist: str = Field(min_length=1)
    album: str = ""
    album_id: str = ""
    year: int | None = None
    release_date: str = ""
    duration_ms: int | None = None
    popularity: int | None = None
    genres: list[str] = Field(default_factory=list)
    subgenres: list[str] = Field(default_factory=list)
    danceability: float | None = None
    energy: float | None = None
    key: int | None = None
    loudness: float | None = None
    mode: int | None = None
    speechiness: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    valence: float | None = None
    tempo: float | None = None

    def features(self) -> dict[str, float | int | None]:
        return {name: getattr(self, name) for name in AUDIO_FEATURES}

    def content_hash(self) -> str:
        """A digest of everything that goes into the index; it changes exactly when the track must be re-indexed."""
        payload = self.model_dump_json(exclude={"track_id"})
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


class CatalogPlaylist(BaseModel):
    """A titled playlist of the catalog, its tracks in order."""

    playlist_id: str
    name: str
    genre: str = ""
    subgenre: str = ""
    track_ids: list[str] = Field(default_factory=list)


@dataclass
class LoadReport:
    """What a load read and what it skipped, and why."""

    rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        if not self.skipped:
            return f"{self.rows} rows read, none skipped"
        reasons = ", ".join(f"{n} {why}" for why, n in self.skipped.most_common())
        return f"{self.rows} rows read, {self.skipped_total} skipped ({reasons})"


@dataclass
class Catalog:
    tracks: list[Track]
    playlists: list[CatalogPlaylist]
    report: LoadReport
    source: str = ""

    def by_id(self) -> dict[str, Track]:
        return {t.track_id: t for t in self.tracks}


class _BadRow(ValueError):
    """A row that cannot become a track; its message is the reason counted in the report."""


_YEAR_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_year(value: Any) -> int | None:
    """The year of a release date written YYYY, YYYY-MM or YYYY-MM-DD (or a bare number); `None` if empty."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1000 <= value <= 2999 else None
    text = str(value).strip()
    if not text:
        return None
    m = _YEAR_RE.match(text)
    if not m:
        raise _BadRow("unparseable release date")
    year = int(m.group(1))
    if m.group(2) and not 1 <= int(m.group(2)) <= 12:
        raise _BadRow("unparseable release date")
    if m.group(3) and not 1 <= int(m.group(3)) <= 31:
        raise _BadRow("unparseable release date")
    return year


def _number(value: Any, kind: type, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "" or value.lower() in {"na", "nan", "null", "none"}:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _BadRow(f"unparseable {name}") from None
    if math.isnan(number) or math.isinf(number):
        raise _BadRow(f"unparseable {name}")
    if kind is int:
        return int(round(number))
    return number


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        items = value
    else:
        items = re.split(r"[|;]", str(value))
    return [s for s in (_text(i).lower() for i in items) if s]


_INT_FEATURES = {"key", "mode"}


def _features(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _number(row.get(name), int if name in _INT_FEATURES else float, name) for name in AUDIO_FEATURES
    }


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise CatalogError(f"catalog file not found: {path}")
    if path.is_dir():
        raise CatalogError(f"catalog path is a folder, not a file: {path}")
    try:
        if path.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
        return open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc.strerror or exc}") from None


def _is_spotify_header(header: Iterable[str]) -> bool:
    return {"track_id", "track_name", "track_artist", "playlist_id"} <= set(header)


def load_catalog(path: Path | str) -> Catalog:
    """Load any supported catalog file; raises `CatalogError` with a one-line message if it cannot be read."""
    path = Path(path)
    name = path.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".jsonl") or name.endswith(".json"):
            return _load_jsonl(path)
        with _open_text(path) as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            if _is_spotify_header(header):
                return _load_spotify(reader, str(path))
            return _load_rows(reader, str(path), header)
    except UnicodeDecodeError:
        raise CatalogError(f"catalog {path} is not UTF-8 text") from None
    except (gzip.BadGzipFile, EOFError, csv.Error) as exc:
        raise CatalogError(f"catalog {path} is corrupt: {exc}") from None


def _load_spotify(reader: csv.DictReader, source: str) -> Catalog:
    report = LoadReport()
    tracks: dict[str, Track] = {}
    playlists: dict[str, CatalogPlaylist] = {}
    for row in reader:
        report.rows += 1
        try:
            track = _spotify_track(row)
        except _BadRow as bad:
            report.skipped[str(bad)] += 1
            continue
        known = tracks.get(track.track_id)
        if known is None:
            tracks[track.track_id] = track
        else:
            for g in track.genres:
                if g not in known.genres:
                    known.genres.append(g)
            for s in track.subgenres:
                if s not in known.subgenres:
                    known.subgenres.append(s)
        pid = _text(row.get("playlist_id"))
        if pid:
            pl = playlists.get(pid)
            if pl is None:
                pl = playlists[pid] = CatalogPlaylist(
                    playlist_id=pid,
                    name=_text(row.get("playlist_name")),
                    genre=_text(row.get("playlist_genre")).lower(),
                    subgenre=_text(row.get("playlist_subgenre")).lower(),
                )
            if track.track_id not in pl.track_ids:
                pl.track_ids.append(track.track_id)
    return Catalog(list(tracks.values()), list(playlists.values()), report, source)


def _spotify_track(row: dict[str, Any]) -> Track:
    track_id = _text(row.get("track_id"))
    if not track_id:
        raise _BadRow("missing id")
    title = _text(row.get("track_name"))
    if not title:
        raise _BadRow("empty title")
    artist = _text(row.get("track_artist"))
    if not artist:
        raise _BadRow("empty artist")
    genre = _text(row.get("playlist_genre")).lower()
    subgenre = _text(row.get("playlist_subgenre")).lower()
    return Track(
        track_id=track_id,
        title=title,
        artist=artist,
        album=_text(row.get("track_album_name")),
        album_id=_text(row.get("track_album_id")),
        release_date=_text(row.get("track_album_release_date")),
        year=parse_year(row.get("track_album_release_date")),
        duration_ms=_number(row.get("duration_ms"), int, "duration_ms"),
        popularity=_number(row.get("track_popularity"), int, "popularity"),
        genres=[genre] if genre else [],
        subgenres=[subgenre] if subgenre else [],
        **_features(row),
    )


def _generic_track(row: dict[str, Any]) -> Track:
    track_id = _text(row.get("id") or row.get("track_id"))
    if not track_id:
        raise _BadRow("missing id")
    title = _text(row.get("title") or row.get("track_name"))
    if not title:
        raise _BadRow("empty title")
    artist = _text(row.get("artist") or row.get("track_artist"))
    if not artist:
        raise _BadRow("empty artist")
    release = _text(row.get("release_date"))
    year_value = row.get("year")
    year = parse_year(year_value if _text(year_value) else release)
    return Track(
        track_id=track_id,
        title=title,
        artist=artist,
        album=_text(row.get("album")),
        album_id=_text(row.get("album_id")),
        release_date=release,
        year=year,
        duration_ms=_number(row.get("duration_ms"), int, "duration_ms"),
        popularity=_number(row.get("popularity"), int, "popularity"),
        genres=_labels(row.get("genres")),
        subgenres=_labels(row.get("subgenres")),
        **_features(row),
    )


def _collect(rows: Iterator[dict[str, Any] | None], source: str) -> Catalog:
    report = LoadReport()
    tracks: dict[str, Track] = {}
    for row in rows:
        report.rows += 1
        if row is None:
            report.skipped["malformed line"] += 1
            continue
        try:
            track = _generic_track(row)
        except _BadRow as bad:
            report.skipped[str(bad)] += 1
            continue
        if track.track_id in tracks:
            report.skipped["duplicate id"] += 1
            continue
        tracks[track.track_id] = track
    return Catalog(list(tracks.values()), [], report, source)


def _load_rows(reader: csv.DictReader, source: str, header: list[str]) -> Catalog:
    if not ({"id", "track_id"} & set(header)) or not ({"title", "track_name"} & set(header)):
        raise CatalogError(f"catalog {source} lacks the required columns id, title, artist (found: {', '.join(header[:8])})")
    return _collect(iter(reader), source)


def _load_jsonl(path: Path) -> Catalog:
    def rows() -> Iterator[dict[str, Any] | None]:
        with _open_text(path) as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    yield None
                    continue
                yield obj if isinstance(obj, dict) else None

    return _collect(rows(), str(path))
