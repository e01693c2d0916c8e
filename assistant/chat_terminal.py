"""`segue chat`: the conversation in the terminal. The playlist appears as a table as soon as it is built,
then the explanation streams in below it. `/undo`, `/new`, `/help` and `/quit` work; Ctrl-D (end of input)
exits cleanly and Ctrl-C stops the reply being written.

Everything printed that comes from the catalog, the listener or the model is plain text: rich markup in a
track title ("[bold]...") is shown as written, never interpreted.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.builder import format_duration
from assistant.chat import HELP, Chat, Reply
from assistant.playlist import Playlist
from retrieval.errors import SegueError

PROMPT = "you › "
COMMANDS = {"/undo": "undo", "/redo": "redo", "/new": "start over", "/reset": "start over"}
QUIT = frozenset({"/quit", "/exit", "/q"})
WELCOME = ("Segue: ask for a playlist, then refine it in plain words. "
           "Commands: /undo, /redo, /new (start over), /help, /quit. Ctrl-D exits.")


def playlist_table(playlist: Playlist) -> Table:
    table = Table(title=Text(playlist.title), title_justify="left", show_lines=False, expand=False)
    for name, justify in (("#", "right"), ("Title", "left"), ("Artist", "left"), ("Year", "right"),
                          ("Length", "right"), ("BPM", "right"), ("Energy", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i, t in enumerate(playlist.tracks, 1):
        table.add_row(str(i), Text(t.title), Text(t.artist), "" if t.year is None else str(t.year),
                      format_duration(t.duration_ms), "" if t.tempo is None else str(round(t.tempo)),
                      "" if t.energy is None else f"{t.energy:.2f}")
    minutes = round(playlist.total_ms / 60000)
    table.caption = Text(f"{len(playlist.tracks)} tracks · {minutes} min")
    return table


def show_reply(console: Console, chat: Chat, message: str) -> Reply | None:
    """Stream one reply: the table first, then the text as it is verified, then notices and changes."""
    reply: Reply | None = None
    try:
        for event in chat.stream(message):
            if isinstance(event, Playlist):
                console.print(playlist_table(event))
            elif isinstance(event, str):
                console.print(Text(event), end="")
            else:
                reply = event
    except KeyboardInterrupt:
        console.print(Text("\n(stopped)", style="dim"))
        return None
    console.print()
    if reply is not None:
        for notice in reply.notices:
            console.print(Text(f"note: {notice}", style="yellow"))
        if reply.kind == "playlist" and reply.changes.summary:
            console.print(Text(f"changes: {reply.changes.summary}", style="dim"))
    return reply


def run_chat(chat: Chat, console: Console | None = None, read: Callable[[str], str] | None = None) -> int:
    """The read-reply loop; returns the number of messages answered. `read` defaults to `input`."""
    console = console or Console()
    read = read or input
    console.print(Text(WELCOME, style="bold"))
    answered = 0
    while True:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            console.print(Text("\nbye", style="dim"))
            return answered
        message = line.strip()
        if not message:
            continue
        command = message.lower()
        if command in QUIT:
            console.print(Text("bye", style="dim"))
            return answered
        if command == "/help":
            console.print(Text(HELP))
            continue
        try:
            show_reply(console, chat, COMMANDS.get(command, message))
        except SegueError as exc:
            console.print(Text(f"error: {exc}", style="red"))
        answered += 1
