"""Segue's web UI (Gradio): the chat beside the playlist it builds, with its energy/tempo arc and exports.

`python app.py` (or `segue ui`) serves it on 127.0.0.1:7860. The index and the LLM are loaded once per
process; each browser session keeps its own assistant and `Chat` in a `gr.State`. Every action that
touches an assistant runs in one queue group of size 1, so requests from any sessions are queued, never
interleaved. Each action is also a named API endpoint for `gradio_client` (see README "API endpoints").
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.playlist import Playlist
from assistant.ui_support import (
    EXPORT_FORMATS,
    TABLE_HEADERS,
    UISession,
    arc_figure,
    backend_markdown,
    escape_markdown,
    reply_data,
    reply_text,
    summary_markdown,
    table_rows,
    write_exports,
)
from retrieval.errors import SegueError

if TYPE_CHECKING:
    from assistant.api import MusicAssistant
    from assistant.chat import Reply
    from retrieval.catalog import Track

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
PASSWORD_ENV = "SEGUE_UI_PASSWORD"
ASSISTANT_QUEUE = "assistant"  # the concurrency group of every action that uses the assistant

EXAMPLES = [
    "40 minutes of warm 70s soul for a slow Sunday, nothing too famous",
    "Upbeat 80s synthpop for a morning run, about 30 minutes",
    "Chill instrumental tracks to study to, low energy",
    "A latin party mix that builds up, 15 tracks",
    "Songs like Daft Punk but less famous",
]

CSS = """
#playlist table td { vertical-align: top; }
.segue-small { font-size: 0.9em; }
"""


class UIConfigError(SegueError):
    """The UI cannot start with these options."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, password: str | None) -> None:
    """Refuse to serve beyond loopback without a password: the UI would be open to the whole network."""
    if not is_loopback(host) and not password:
        raise UIConfigError(
            f"refusing to listen on {host} without a password: set {PASSWORD_ENV} (or pass --password), "
            f"or keep the default host {DEFAULT_HOST}"
        )


def check_port(host: str, port: int) -> None:
    """Fail in one line, before the index is loaded, when the address cannot be listened on."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UIConfigError(f"cannot listen on {host}:{port} ({reason}): pick another --port or --host") from None


# ------------------------------------------------------------------------------------ the actions


class SegueUI:
    """The event handlers. Each takes the session (None before the first action) and returns the view:
    (session, chat messages, table rows, reply data)."""

    def __init__(self, assistant_factory: Callable[[], MusicAssistant]) -> None:
        self.assistant_factory = assistant_factory

    def session(self, session: UISession | None) -> UISession:
        return session if session is not None else UISession.start(self.assistant_factory())

    def view(self, s: UISession, data: Any = None) -> tuple[Any, ...]:
        return s, s.history, table_rows(s.chat.playlist), data if data is not None else gr.skip()

    def send(self, message: str, session: UISession | None) -> Iterator[tuple[Any, ...]]:
        """Stream the reply: the new playlist as soon as it exists, then the text as it is written."""
        s = self.session(session)
        message = (message or "").strip()
        if not message:
            yield self.view(s, reply_data(None, "", s.chat.playlist))
            return
        s.history.append({"role": "user", "content": escape_markdown(message)})
        s.history.append({"role": "assistant", "content": ""})
        yield s, s.history, gr.skip(), gr.skip()
        text, data = "", None
        try:
            for event in s.chat.stream(message):
                if isinstance(event, Playlist):
                    yield s, s.history, table_rows(event), gr.skip()
                elif isinstance(event, str):
                    text += event
                    s.history[-1]["content"] = escape_markdown(text)
                    yield s, s.history, gr.skip(), gr.skip()
                else:  # the final Reply
                    s.history[-1]["content"] = escape_markdown(reply_text(event))
                    data = reply_data(event)
        except SegueError as exc:
            s.history[-1]["content"] = escape_markdown(f"Error: {exc}")
            data = reply_data(None, f"Error: {exc}", s.chat.playlist)
        yield self.view(s, data)

    def undo(self, session: UISession | None) -> tuple[Any, ...]:
        s = self.session(session)
        return self.act(s, s.chat.undo)

    def new_chat(self, session: UISession | None) -> tuple[Any, ...]:
        s = self.session(session)
        s.new_chat()
        return self.view(s, reply_data(None, "", None))

    def remove(self, position: float | None, session: UISession | None) -> tuple[Any, ...]:
        s = self.session(session)
        track = self.track_at(s, position)
        return self.act(s, lambda: s.chat.remove(track.track_id)) if track else self.tell(s, _no_track(position))

    def feedback(self, position: float | None, liked: bool, session: UISession | None) -> tuple[Any, ...]:
        """Thumbs up steers this session's next playlists; thumbs down also removes the track for good."""
        s = self.session(session)
        track = self.track_at(s, position)
        if track is None:
            return self.tell(s, _no_track(position))
        return self.act(s, lambda: s.chat.feedback(track.track_id, liked=bool(liked)))

    def act(self, s: UISession, action: Callable[[], Reply]) -> tuple[Any, ...]:
        """Run a chat action, show its reply (or its expected error) and return the view."""
        try:
            reply = action()
        except SegueError as exc:
            return self.tell(s, f"Error: {exc}")
        s.history.append({"role": "assistant", "content": escape_markdown(reply_text(reply))})
        return self.view(s, reply_data(reply))

    def tell(self, s: UISession, text: str) -> tuple[Any, ...]:
        s.history.append({"role": "assistant", "content": escape_markdown(text)})
        return self.view(s, reply_data(None, text, s.chat.playlist))

    @staticmethod
    def track_at(s: UISession, position: float | None) -> Track | None:
        tracks = s.chat.playlist.tracks if s.chat.playlist is not None else []
        if position is None or not 1 <= int(position) <= len(tracks):
            return None
        return tracks[int(position) - 1]

    def export(self, fmt: str, session: UISession | None) -> tuple[UISession, str]:
        s = self.session(session)
        if s.chat.playlist is None or not s.chat.playlist.tracks:
            raise gr.Error("No playlist to export yet: ask for one first.")
        if fmt not in EXPORT_FORMATS:
            raise gr.Error(f"Unknown format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}.")
        return s, str(write_exports(s.chat.playlist, s.export_dir())[fmt])

    @staticmethod
    def render(session: UISession | None) -> tuple[Any, ...]:
        """What follows a playlist change: the summary line, the arc plot and the four download buttons."""
        playlist = session.chat.playlist if session is not None else None
        files = write_exports(playlist, session.export_dir()) if playlist is not None and playlist.tracks else {}
        buttons = [gr.DownloadButton(value=str(files[f]) if f in files else None, interactive=f in files)
                   for f in EXPORT_FORMATS]
        return (summary_markdown(playlist), arc_figure(playlist), *buttons)


def _no_track(position: float | None) -> str:
    which = "selected" if position is None else f"#{int(position)}"
    return f"There is no track {which} in the playlist: click a row of the table or type its number."


# ------------------------------------------------------------------------------------ the layout


def build_app(assistant_factory: Callable[[], MusicAssistant]) -> gr.Blocks:
    """The Blocks app. `assistant_factory` makes each browser session's assistant; the assistants should share
    one index and one LLM (see `launch`). It is called once now too, so index and model errors surface here."""
    ui = SegueUI(assistant_factory)
    probe = UISession.start(assistant_factory())
    llm = probe.chat.llm
    panel = backend_markdown(llm.info() if llm is not None else None, probe.assistant.index.name,
                             len(probe.assistant.index))
    queued = {"concurrency_id": ASSISTANT_QUEUE, "concurrency_limit": 1}

    with gr.Blocks(title="Segue", analytics_enabled=False, delete_cache=(3600, 3600), fill_width=True) as demo:
        session = gr.State(None, delete_callback=lambda s: s.close() if s is not None else None)
        gr.Markdown("## Segue\nAsk for a playlist in your own words, then refine it: *more upbeat*, "
                    "*no more than one song per artist*, *swap the third track*.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=360):
                chatbot = gr.Chatbot(
                    label="Chat", elem_id="chat", height=480, sanitize_html=True, render_markdown=True,
                    latex_delimiters=[], allow_tags=False, feedback_options=None, line_breaks=True,
                    placeholder="Describe the playlist you want: mood, era, genres, artists, length.",
                )
                with gr.Row():
                    message = gr.Textbox(show_label=False, placeholder="Your request…", elem_id="message",
                                         scale=5, max_lines=4, autofocus=True)
                    send_btn = gr.Button("Send", variant="primary", elem_id="send", scale=1, min_width=80)
                gr.Examples(EXAMPLES, inputs=[message], label="Try one of these")
                with gr.Row():
                    undo_btn = gr.Button("↶ Undo", elem_id="undo", size="sm")
                    new_btn = gr.Button("New chat", elem_id="new-chat", size="sm")
                with gr.Accordion("Backend and catalog", open=False, elem_id="backend"):
                    gr.Markdown(panel, elem_classes="segue-small")
            with gr.Column(scale=6, min_width=480):
                summary = gr.Markdown(summary_markdown(None), elem_id="summary")
                table = gr.Dataframe(
                    headers=TABLE_HEADERS, datatype="str", interactive=False, wrap=True, elem_id="playlist",
                    column_widths=["4%", "18%", "14%", "7%", "9%", "6%", "9%", "33%"], max_height=440,
                    label="Playlist",
                )
                with gr.Row(equal_height=True):
                    position = gr.Number(label="Track #", placeholder="click a row", precision=0, value=None,
                                         elem_id="position", scale=1, min_width=90)
                    like_btn = gr.Button("✓ Like", elem_id="like", scale=1, min_width=80)
                    dislike_btn = gr.Button("✗ Dislike", elem_id="dislike", scale=1, min_width=80)
                    remove_btn = gr.Button("− Remove", elem_id="remove", scale=1, min_width=80)
                plot = gr.Plot(label="Energy and tempo by position", format="png", elem_id="arc")
                with gr.Row():
                    downloads = [gr.DownloadButton(f"⬇ {fmt.upper()}", interactive=False, size="sm", min_width=60,
                                                   elem_id=f"download-{fmt}") for fmt in EXPORT_FORMATS]
        # Inputs of the API-only parts: the message being sent, a verdict, an export format and its file.
        pending = gr.Textbox(label="message", visible=False)
        liked = gr.Checkbox(label="liked", visible=False)
        fmt = gr.Dropdown(list(EXPORT_FORMATS), value="m3u", label="format", visible=False)
        export_file = gr.File(label="file", visible=False)
        export_btn = gr.Button(visible=False)
        reply = gr.JSON(label="reply", visible=False)

        view = [session, chatbot, table, reply]
        gr.on([message.submit, send_btn.click], lambda m: ("", m), [message], [message, pending],
              queue=False, api_visibility="private").then(
            ui.send, [pending, session], view, api_name="send", **queued)
        undo_btn.click(ui.undo, [session], view, api_name="undo", **queued)
        new_btn.click(ui.new_chat, [session], view, api_name="new_chat", **queued).then(
            lambda: None, None, position, api_visibility="private")
        remove_btn.click(ui.remove, [position, session], view, api_name="remove", **queued)
        like_btn.click(lambda: True, None, liked, queue=False, api_visibility="private").then(
            ui.feedback, [position, liked, session], view, api_name="feedback", **queued)
        dislike_btn.click(lambda: False, None, liked, queue=False, api_visibility="private").then(
            ui.feedback, [position, liked, session], view, api_visibility="private", **queued)
        export_btn.click(ui.export, [fmt, session], [session, export_file], api_name="export", **queued)

        table.change(ui.render, [session], [summary, plot, *downloads], api_visibility="private")
        table.select(_picked_position, None, position, queue=False, api_visibility="private")
    return demo


def _picked_position(evt: gr.SelectData) -> int:
    """The 1-based position of the clicked table row."""
    return int(evt.index[0]) + 1


# ------------------------------------------------------------------------------------ launching


def shared_index_assistants() -> Callable[[], MusicAssistant]:
    """A factory of assistants over one index loaded now (a missing index fails here, before serving).

    Each browser session gets its own `MusicAssistant`, because an assistant without a user name keeps the
    listener's thumbs in memory: shared, one visitor's dislikes would shape another's playlists. The index
    and the LLM client (`get_llm` keeps one per process) are shared by all of them.
    """
    from assistant.api import MusicAssistant
    from retrieval.index import open_index
    from retrieval.settings import get_settings

    settings = get_settings()
    index = open_index(settings, use_store=False)
    return lambda: MusicAssistant(settings, index=index)


def theme() -> Any:
    """The default look with system fonts: the stock theme would fetch its fonts from Google."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def launch(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, password: str | None = None,
           *, assistant_factory: Callable[[], MusicAssistant] | None = None) -> None:
    """Serve the UI until Ctrl-C. Beyond loopback a password is required (any user name is accepted)."""
    check_exposure(host, password)
    check_port(host, port)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no call home at launch
    demo = build_app(assistant_factory or shared_index_assistants())
    demo.queue(default_concurrency_limit=1)
    auth = (lambda _user, given: hmac.compare_digest(given.encode(), password.encode())) if password else None
    demo.launch(server_name=host, server_port=port, auth=auth, ssr_mode=False, show_error=True,
                theme=theme(), css=CSS, footer_links=["api"], run_history=False)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve Segue's web UI.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument("--password", default=os.environ.get(PASSWORD_ENV),
                        help=f"password of the login page (default: ${PASSWORD_ENV}); required beyond loopback")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        launch(args.host, args.port, args.password)
    except SegueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
