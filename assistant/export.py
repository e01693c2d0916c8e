"""Playlist exports: M3U, XSPF, JSON and CSV, plus a safe file name for downloads.

Catalog text may hold any Unicode: control characters are removed where a format cannot carry them (an M3U
line, XML 1.0), and XML is written with xml.etree so escaping is never done by hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from retrieval.catalog import AUDIO_FEATURES, Track

if TYPE_CHECKING:
    from assistant.playlist import Playlist

XSPF_NS = "http://xspf.org/ns/0/"
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A cell starting with one of these is run as a formula by spreadsheet apps.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("position", "track_id", "title", "artist", "album", "year", "duration_ms", "popularity", "genres",
               *AUDIO_FEATURES, "reason")
MAX_FILENAME_CHARS = 80
_NAME_RESERVED = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def track_uri(track_id: str) -> str:
    """A `spotify:track:` URI for ids of the shipped Spotify catalog, the plain id for other catalogs."""
    return f"spotify:track:{track_id}" if _SPOTIFY_ID.match(track_id) else track_id


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def track_dict(track: Track, reason: str = "") -> dict[str, Any]:
    return {**track.model_dump(mode="json"), "reason": reason}


def playlist_dict(playlist: Playlist) -> dict[str, Any]:
    """The JSON shape of a playlist: its tracks (every catalog field plus why it fits), the spec and what was relaxed."""
    return {
        "title": playlist.title,
        "description": playlist.description,
        "total_ms": playlist.total_ms,
        "tracks": [track_dict(t, playlist.reasons.get(t.track_id, "")) for t in playlist.tracks],
        "spec": playlist.spec.model_dump(mode="json"),
        "relaxed": [r.model_dump(mode="json") for r in playlist.relaxed],
        "notices": list(playlist.notices),
    }


def to_json(playlist: Playlist) -> str:
    return json.dumps(playlist_dict(playlist), indent=2, ensure_ascii=False)


def to_m3u(playlist: Playlist) -> str:
    """Extended M3U: `#EXTINF:<seconds>,<artist> - <title>` followed by the track's URI."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist.title)}"]
    for t in playlist.tracks:
        seconds = -1 if t.duration_ms is None else round(t.duration_ms / 1000)
        lines.append(f"#EXTINF:{seconds},{_one_line(t.artist)} - {_one_line(t.title)}")
        lines.append(track_uri(t.track_id))
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def to_xspf(playlist: Playlist) -> str:
    """XSPF 1 (XML Shareable Playlist Format), with each track's location, ids, names and duration."""
    def sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
        element = ET.SubElement(parent, tag)
        element.text = _xml_text(text)
        return element

    # Unqualified tags under a default xmlns: the elements are in the XSPF namespace when parsed.
    root = ET.Element("playlist", version="1", xmlns=XSPF_NS)
    sub(root, "title", playlist.title)
    if playlist.description:
        sub(root, "annotation", playlist.description)
    track_list = ET.SubElement(root, "trackList")
    for t in playlist.tracks:
        item = ET.SubElement(track_list, "track")
        sub(item, "location", track_uri(t.track_id))
        sub(item, "identifier", t.track_id)
        sub(item, "title", t.title)
        sub(item, "creator", t.artist)
        if t.album:
            sub(item, "album", t.album)
        if t.duration_ms is not None:
            sub(item, "duration", str(t.duration_ms))
        reason = playlist.reasons.get(t.track_id)
        if reason:
            sub(item, "annotation", reason)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(playlist: Playlist) -> str:
    """One row per track with a header; genres joined by "|"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for position, t in enumerate(playlist.tracks, 1):
        row = [position, t.track_id, t.title, t.artist, t.album, t.year, t.duration_ms, t.popularity,
               "|".join(t.genres), *(getattr(t, f) for f in AUDIO_FEATURES), playlist.reasons.get(t.track_id, "")]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


EXPORTERS = {"m3u": to_m3u, "xspf": to_xspf, "json": to_json, "csv": to_csv}


def safe_filename(title: str, ext: str) -> str:
    """A download name from a playlist title: no path separators, control or reserved characters, no leading
    dot, at most MAX_FILENAME_CHARS before the extension; "playlist" when nothing usable is left."""
    name = unicodedata.normalize("NFKC", title)
    # category C: control, format (bidi overrides that disguise the extension, zero-width), surrogates
    # (a lone one cannot even be written to disk), private and unassigned code points
    name = "".join(" " if c in _NAME_RESERVED or unicodedata.category(c)[0] == "C" else c for c in name)
    name = "_".join(name.split())
    name = name[:MAX_FILENAME_CHARS].strip("._- ")
    if not name or name.lower().split(".")[0] in _WINDOWS_RESERVED:
        name = f"playlist_{name}" if name else "playlist"
    ext = re.sub(r"[^0-9A-Za-z]", "", ext)[:10]
    return f"{name}.{ext}" if ext else name
