"""Import listening history into a profile: a CSV (title, artist, optional play count and timestamp) or an
Apple Music / iTunes `Library.xml` export, matched to catalog tracks by fuzzy title and artist.

The file is parsed completely before anything is written, and the profile is then updated in one
transaction: a malformed file raises `HistoryImportError` and leaves the profile as it was. Rows that match
no catalog track are reported with the reason, never dropped silently.

`Library.xml` is read with `plistlib`, which builds plain dicts, lists, strings and numbers only (no
pickle, no eval) and refuses XML entity declarations, so a hostile file cannot expand or fetch anything.
"""

from __future__ import annotations

import csv
import io
import math
import plistlib
import re
import xml.parsers.expat
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Sequence

from rapidfuzz import fuzz, process

from assistant.builder import title_key
from assistant.profiles import Play, ProfileStore
from retrieval.catalog import Track
from retrieval.errors import SegueError
from retrieval.lexical import fold

Format = Literal["csv", "itunes"]
TITLE_CUTOFF = 85  # rapidfuzz ratio (0-100) of normalised titles for a match
ARTIST_CUTOFF = 88  # ratio of normalised artist names for a fuzzy (not exact) artist match
LOVED_RATING = 80  # iTunes stores stars x 20: 4 stars and up count as a like


class HistoryImportError(SegueError):
    """The history file cannot be read as a whole; nothing was imported."""


@dataclass(frozen=True)
class HistoryRow:
    where: str  # "line 12" (CSV) or "track 1042" (Library.xml Track ID), to find the row in the file
    title: str
    artist: str
    album: str = ""
    plays: int = 1
    last_played: float | None = None  # Unix time
    liked: bool | None = None  # Loved / Disliked in Apple Music


@dataclass(frozen=True)
class Unmatched:
    where: str
    title: str
    artist: str
    reason: str
    closest: str | None = None  # "Title — Artist" of the nearest catalog track, when there is a near miss


@dataclass
class ImportReport:
    source: str
    format: Format
    rows: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # catalog track id -> plays imported
    matched_rows: int = 0
    liked: int = 0
    disliked: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def match_rate(self) -> float:
        return self.matched_rows / self.rows if self.rows else 0.0

    def summary(self) -> str:
        return (f"{self.matched_rows} of {self.rows} rows matched ({self.match_rate:.0%}) to "
                f"{len(self.matched)} catalog tracks, {sum(self.matched.values())} plays, {self.liked} liked, "
                f"{self.disliked} disliked; {len(self.unmatched)} unmatched")

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "format": self.format, "rows": self.rows, "matched_rows": self.matched_rows,
            "match_rate": round(self.match_rate, 4), "tracks": len(self.matched),
            "plays": sum(self.matched.values()), "liked": self.liked, "disliked": self.disliked,
            "unmatched": [u.__dict__ for u in self.unmatched],
        }


# ------------------------------------------------------------------------------------------ normalising

_FEAT = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s+.*$")
_PUNCT = re.compile(r"[^\w\s]")
_ARTIST_SPLIT = re.compile(r"\s*(?:,|&|\bx\b|\band\b|\bwith\b|\bfeat\.?|\bft\.|\bfeaturing\b|/|;)\s*")


def _clean(text: str) -> str:
    text = re.sub(r"['’]", "", text.replace("&", " and "))  # "don't" and "dont" are the same word
    return " ".join(_PUNCT.sub(" ", text).split())


def normalise_artist(artist: str) -> str:
    t = _clean(_FEAT.sub("", fold(artist)))
    return t[4:] if t.startswith("the ") else t


def primary_artist(artist: str) -> str:
    """The first credited artist: "Calvin Harris feat. Rihanna" -> "calvin harris"."""
    first = _ARTIST_SPLIT.split(fold(artist).strip(), maxsplit=1)[0]
    return normalise_artist(first) or normalise_artist(artist)


# ------------------------------------------------------------------------------------------ matching

class CatalogMatcher:
    """Finds the catalog track of a (title, artist, album) row: artist first (exact, first credited, then
    fuzzy), then the best fuzzy title among that artist's tracks."""

    def __init__(self, tracks: Sequence[Track]) -> None:
        self.tracks = list(tracks)
        self.titles = [title_key(t.title) for t in self.tracks]
        self.by_artist: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(self.tracks):
            self.by_artist[normalise_artist(t.artist)].append(i)
            first = primary_artist(t.artist)
            if first != normalise_artist(t.artist):
                self.by_artist[first].append(i)
        self.artist_names = list(self.by_artist)
        self._artist_cache: dict[str, list[int]] = {}

    def _artist_rows(self, artist: str) -> list[int]:
        key = normalise_artist(artist)
        if key not in self._artist_cache:
            rows: list[int] = []
            for name in dict.fromkeys([key, primary_artist(artist)]):
                rows += self.by_artist.get(name, [])
            if not rows and key:
                for name, _, _ in process.extract(key, self.artist_names, scorer=fuzz.ratio,
                                                  score_cutoff=ARTIST_CUTOFF, limit=3):
                    rows += self.by_artist[name]
            self._artist_cache[key] = list(dict.fromkeys(rows))
        return self._artist_cache[key]

    def match(self, row: HistoryRow) -> tuple[str | None, Unmatched | None]:
        """(catalog track id, None) for a match, or (None, why not)."""
        rows = self._artist_rows(row.artist)
        if not rows:
            return None, Unmatched(row.where, row.title, row.artist, "artist not in the catalog")
        title = title_key(row.title)
        scored = [(fuzz.ratio(title, self.titles[i]), i) for i in rows]
        best_score = max(s for s, _ in scored)
        if best_score < TITLE_CUTOFF:
            near = max(scored)[1]
            closest = f"{self.tracks[near].title} — {self.tracks[near].artist}" if best_score >= 60 else None
            return None, Unmatched(row.where, row.title, row.artist, "artist in the catalog, title not", closest)
        full, album = fold(row.title), fold(row.album)
        # Among equally good songs (one song on several releases, a remaster, a live take) prefer the same
        # full title ("- Live" or "- Remix" included), then the album named, then the most popular release.
        best = max((i for s, i in scored if s == best_score),
                   key=lambda i: (fuzz.ratio(full, fold(self.tracks[i].title)),
                                  fuzz.ratio(album, fold(self.tracks[i].album)) if album else 0,
                                  self.tracks[i].popularity or 0))
        return self.tracks[best].track_id, None


# ------------------------------------------------------------------------------------------ reading files

_CSV_COLUMNS = {
    "title": ("title", "name", "track", "trackname", "song", "songname", "tracktitle"),
    "artist": ("artist", "artistname", "trackartist", "performer"),
    "album": ("album", "albumname", "trackalbumname", "release"),
    "plays": ("playcount", "plays", "count", "listens", "scrobbles", "timesplayed"),
    "timestamp": ("timestamp", "playedat", "lastplayed", "date", "datetime", "time", "ts", "playdate"),
}
_TIME_FORMATS = ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S")


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lower())


def parse_timestamp(value: str) -> float:
    """Unix time of an ISO 8601 date, a Unix timestamp (seconds or milliseconds) or a Last.fm-style date."""
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        number = float(text)
        return number / 1000 if number > 1e11 else number
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unparseable timestamp {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _parse_count(value: str) -> int:
    try:
        number = float(value.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise ValueError(f"invalid play count {value.strip()[:20]!r}")
    return int(number)


Entry = HistoryRow | Unmatched  # a row of the file, or why it cannot be used (in file order)


def read_csv(path: Path) -> list[Entry]:
    """Rows of a history CSV (comma, semicolon or tab separated; header required); bad rows become
    `Unmatched` with the reason. A row without a play count is one play."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise HistoryImportError(f"{path} is not UTF-8 text: export it again as UTF-8 CSV") from None
    if "\0" in text:
        raise HistoryImportError(f"{path} is not a text CSV file (it holds NUL bytes)")
    first_line = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        columns = {_header_key(h): i for i, h in enumerate(header)}
        found = {role: next((columns[a] for a in aliases if a in columns), None)
                 for role, aliases in _CSV_COLUMNS.items()}
        if found["title"] is not None and found["artist"] is not None:
            break
    else:
        raise HistoryImportError(
            f"{path} has no title and artist columns in its first line (found: {first_line[:80]!r}): "
            "the CSV needs a header with title, artist and optionally play_count, timestamp")
    rows: list[Entry] = []
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise HistoryImportError(f"{path} is not a valid CSV file ({exc})") from None

    def cell(record: list[str], role: str) -> str:
        i = found[role]
        return record[i].strip() if i is not None and i < len(record) else ""

    for line, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        where, title, artist = f"line {line}", cell(record, "title"), cell(record, "artist")
        if not title or not artist:
            rows.append(Unmatched(where, title, artist, "missing title or artist"))
            continue
        try:
            plays = _parse_count(cell(record, "plays")) if cell(record, "plays") else 1
            stamp = parse_timestamp(cell(record, "timestamp")) if cell(record, "timestamp") else None
        except ValueError as exc:
            rows.append(Unmatched(where, title, artist, str(exc)))
            continue
        rows.append(HistoryRow(where, title, artist, cell(record, "album"), plays, stamp))
    return rows


def read_itunes_library(path: Path) -> list[Entry]:
    """Rows of an Apple Music / iTunes library export (XML or binary plist with a `Tracks` dictionary)."""
    try:
        with open(path, "rb") as fh:
            data = plistlib.load(fh)
    except (plistlib.InvalidFileException, xml.parsers.expat.ExpatError, ValueError, TypeError, OverflowError,
            KeyError, AttributeError) as exc:
        raise HistoryImportError(f"{path} is not a readable Apple Music/iTunes library export ({exc})") from None
    tracks = data.get("Tracks") if isinstance(data, dict) else None
    if not isinstance(tracks, dict):
        raise HistoryImportError(f"{path} is a plist but has no Tracks dictionary: export the library with "
                                 "File > Library > Export Library")
    rows: list[Entry] = []
    for key, item in tracks.items():
        where = f"track {key}"
        if not isinstance(item, dict):
            rows.append(Unmatched(where, "", "", "entry is not a track dictionary"))
            continue
        title = str(item.get("Name", "")).strip()
        artist = str(item.get("Artist") or item.get("Album Artist") or "").strip()
        if not title or not artist:
            rows.append(Unmatched(where, title, artist, "missing title or artist"))
            continue
        if item.get("Podcast") or item.get("Movie") or item.get("TV Show") or item.get("Has Video"):
            rows.append(Unmatched(where, title, artist, "not a song (podcast or video)"))
            continue
        count = item.get("Play Count", 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            rows.append(Unmatched(where, title, artist, f"invalid play count {count!r}"[:60]))
            continue
        played = item.get("Play Date UTC")
        stamp = played.replace(tzinfo=timezone.utc).timestamp() if isinstance(played, datetime) else None
        rating = item.get("Rating") if not item.get("Rating Computed") else None
        liked: bool | None = None
        if item.get("Loved") or item.get("Favorited") or (isinstance(rating, int) and rating >= LOVED_RATING):
            liked = True
        elif item.get("Disliked"):
            liked = False
        rows.append(HistoryRow(where, title, artist, str(item.get("Album", "")).strip(), count, stamp, liked))
    return rows


def detect_format(path: Path) -> Format:
    """By suffix, else by the first bytes (an XML or binary plist is a library export)."""
    suffix = path.suffix.lower()
    if suffix in {".xml", ".plist"}:
        return "itunes"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
    return "itunes" if head.startswith((b"<?xml", b"<plist", b"bplist")) else "csv"


def read_history(path: Path | str) -> tuple[Format, list[Entry]]:
    path = Path(path)
    if not path.is_file():
        raise HistoryImportError(f"history file not found: {path}")
    try:
        fmt = detect_format(path)
        entries = (read_itunes_library if fmt == "itunes" else read_csv)(path)
    except OSError as exc:
        raise HistoryImportError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not entries:
        raise HistoryImportError(f"{path} holds no tracks")
    return fmt, entries


# ------------------------------------------------------------------------------------------ importing

def match_history(entries: Sequence[Entry], matcher: CatalogMatcher, source: str, fmt: Format
                  ) -> tuple[ImportReport, list[Play], dict[str, bool | None]]:
    """The report, the plays (summed per catalog track) and the likes/dislikes of the matched rows."""
    report = ImportReport(source=source, format=fmt, rows=len(entries))
    last: dict[str, float] = {}
    feedback: dict[str, bool | None] = {}
    for row in entries:
        if isinstance(row, Unmatched):
            report.unmatched.append(row)
            continue
        track_id, miss = matcher.match(row)
        if track_id is None:
            assert miss is not None
            report.unmatched.append(miss)
            continue
        report.matched_rows += 1
        report.matched[track_id] = report.matched.get(track_id, 0) + row.plays
        if row.last_played is not None:
            last[track_id] = max(last.get(track_id, row.last_played), row.last_played)
        if row.liked is not None:
            feedback[track_id] = row.liked
    report.liked = sum(1 for v in feedback.values() if v)
    report.disliked = sum(1 for v in feedback.values() if v is False)
    plays = [Play(t, n, last.get(t)) for t, n in report.matched.items()]
    return report, plays, feedback


def import_history(store: ProfileStore, user: str, path: Path | str, tracks: Sequence[Track] | CatalogMatcher
                   ) -> ImportReport:
    """Parse, match and store a history file for `user` in one transaction; returns what was matched."""
    store.check()  # a damaged profile file fails before a long parse and match
    fmt, entries = read_history(path)
    matcher = tracks if isinstance(tracks, CatalogMatcher) else CatalogMatcher(tracks)
    report, plays, feedback = match_history(entries, matcher, str(path), fmt)
    if plays or feedback:
        store.apply(user, plays=plays, track_feedback=feedback)
    return report
