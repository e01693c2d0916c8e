"""Plain-Python helpers of the web UI: table rows, the energy/tempo figure, text escaping and export files.

Nothing here imports Gradio, so the helpers are tested (and reused by other faces) without a browser.
Every string that comes from the catalog, the listener or the model is data: it is escaped before any
component that renders Markdown or HTML sees it.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.playlist import Playlist

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from assistant.api import MusicAssistant
    from assistant.chat import Chat, Reply

TABLE_HEADERS: list[str] = ["#", "Title", "Artist", "Year", "Length", "BPM", "Energy", "Why it fits"]
EXPORT_FORMATS: tuple[str, ...] = ("m3u", "xspf", "json", "csv")

# Markdown punctuation that changes how text renders (emphasis, code, links, headings, tables, strikes);
# `<`, `>` and `&` are HTML-escaped instead, which also keeps any tag from reaching the DOM.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]#|~$])")


def escape_markdown(text: str) -> str:
    """`text` as literal text inside a Markdown component: no emphasis, no links, no HTML."""
    return html.escape(_MARKDOWN_SPECIALS.sub(r"\\\1", text), quote=False)


def format_length(ms: int | None) -> str:
    """A track length as m:ss ("" when unknown)."""
    if ms is None:
        return ""
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_total(ms: int) -> str:
    """A playlist length: "48 min" or "1 h 05 min"."""
    minutes = round(ms / 60000)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def table_rows(playlist: Playlist | None) -> list[list[str]]:
    """One row per track, in TABLE_HEADERS order; every cell a string (unknown values are empty)."""
    if playlist is None:
        return []
    rows = []
    for i, t in enumerate(playlist.tracks, 1):
        rows.append([
            str(i),
            t.title,
            t.artist,
            "" if t.year is None else str(t.year),
            format_length(t.duration_ms),
            "" if t.tempo is None else str(round(t.tempo)),
            "" if t.energy is None else f"{t.energy:.2f}",
            playlist.reasons.get(t.track_id, ""),
        ])
    return rows


def summary_markdown(playlist: Playlist | None) -> str:
    """The line above the table: escaped title, track count and total length."""
    if playlist is None or not playlist.tracks:
        return "No playlist yet: ask for one in the chat."
    n = len(playlist.tracks)
    count = f"{n} track{'s' if n != 1 else ''}"
    return f"**{escape_markdown(playlist.title)}** · {count} · {format_total(playlist.total_ms)}"


def arc_figure(playlist: Playlist | None) -> Figure | None:
    """Energy (left axis, 0-1) and tempo (right axis, BPM) by position; None without tracks.

    Built on `Figure` directly rather than pyplot, whose global figure registry is not thread-safe.
    """
    if playlist is None or not playlist.tracks:
        return None
    from matplotlib.figure import Figure

    positions = list(range(1, len(playlist.tracks) + 1))
    energy = [float("nan") if t.energy is None else t.energy for t in playlist.tracks]
    tempo = [float("nan") if t.tempo is None else t.tempo for t in playlist.tracks]
    fig = Figure(figsize=(6.4, 2.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(positions, energy, marker="o", color="#e4572e", label="energy")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("position")
    ax.set_ylabel("energy", color="#e4572e")
    ax.set_xticks(positions if len(positions) <= 30 else positions[::5])
    ax.grid(alpha=0.3)
    bpm = ax.twinx()
    bpm.plot(positions, tempo, marker="s", linestyle="--", color="#29335c", label="tempo")
    bpm.set_ylabel("tempo (BPM)", color="#29335c")
    known = [x for x in tempo if x == x]
    if known:
        bpm.set_ylim(min(60.0, min(known) - 5), max(180.0, max(known) + 5))
    return fig


def write_exports(playlist: Playlist, directory: Path) -> dict[str, Path]:
    """The playlist as M3U, XSPF, JSON and CSV files in `directory` (emptied first), by format.

    File names come from `safe_filename`, so a title like "../../x" or "<script>" cannot escape the
    directory or carry markup.
    """
    from assistant.export import EXPORTERS, safe_filename

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    paths = {}
    for fmt in EXPORT_FORMATS:
        path = directory / safe_filename(playlist.title, fmt)
        path.write_text(EXPORTERS[fmt](playlist), encoding="utf-8")
        paths[fmt] = path
    return paths


def reply_text(reply: Reply) -> str:
    """A reply's text followed by its notices, one per line (plain text: escape it before display)."""
    return "\n".join([reply.text.rstrip(), *(f"Note: {n}" for n in reply.notices if n)])


def reply_data(reply: Reply | None, text: str | None = None, playlist: Playlist | None = None) -> dict[str, Any]:
    """What the API returns beside the chat: the reply's plain text, kind, notices, changes and the whole
    current playlist (`export.playlist_dict`: track ids, every catalog field, why each track fits)."""
    from assistant.export import playlist_dict

    if reply is not None:
        text, playlist = reply_text(reply), reply.playlist
    return {
        "text": text or "",
        "kind": reply.kind if reply is not None else "message",
        "changes": {"added": list(reply.changes.added), "removed": list(reply.changes.removed),
                    "summary": reply.changes.summary} if reply is not None else None,
        "playlist": playlist_dict(playlist) if playlist is not None else None,
    }


def backend_markdown(llm_info: dict[str, Any] | None, catalog_name: str, n_tracks: int) -> str:
    """The "what is in use" panel: LLM backend and model, catalog file name and size. Server URLs and
    file paths stay out of it: every visitor of the page sees it."""
    if llm_info is None:
        lines = ["**LLM:** none (replies are written from the metadata)"]
    else:
        lines = [f"**LLM backend:** {escape_markdown(str(llm_info.get('backend', '?')))}",
                 f"**Model:** {escape_markdown(str(llm_info.get('model') or '?'))}"]
        if llm_info.get("reachable") is False:
            lines.append("**Status:** the LLM server does not answer")
    name = Path(catalog_name).name or catalog_name
    lines.append(f"**Catalog:** {escape_markdown(name)} ({n_tracks:,} tracks)")
    return "  \n".join(lines)


@dataclass
class UISession:
    """What one browser session owns: its assistant (whose in-memory taste holds this listener's thumbs),
    its current chat, the messages shown, and a folder for its export files."""

    assistant: MusicAssistant
    chat: Chat
    history: list[dict[str, str]] = field(default_factory=list)
    _export_dir: Path | None = None

    @classmethod
    def start(cls, assistant: MusicAssistant) -> UISession:
        return cls(assistant, assistant.start_chat())

    def new_chat(self) -> None:
        """A fresh chat and an empty screen; the thumbs given so far keep steering this session's playlists."""
        self.chat = self.assistant.start_chat()
        self.history = []

    def export_dir(self) -> Path:
        if self._export_dir is None:
            self._export_dir = Path(tempfile.mkdtemp(prefix="segue-ui-"))
        return self._export_dir / "files"

    def close(self) -> None:
        """Remove the session's export files (called when Gradio drops the session)."""
        if self._export_dir is not None:
            shutil.rmtree(self._export_dir, ignore_errors=True)
            self._export_dir = None
