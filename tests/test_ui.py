"""The web UI in a real browser: Debian's Chromium driven by Playwright against `python app.py`.

The server runs in a subprocess over a small real index (tests/conftest.py `ui_url`) whose catalog holds
tracks with hostile titles. Waits are on elements (Gradio keeps a stream open, so "network idle" never
comes). `SEGUE_UPDATE_SCREENSHOT=1` also saves the UI to docs/screenshot.png for the README.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.playlist import Playlist
from assistant.ui_support import (
    arc_figure,
    escape_markdown,
    format_length,
    format_total,
    summary_markdown,
    table_rows,
    write_exports,
)
from retrieval.catalog import Track
from tests.conftest import HOSTILE_ARTIST, HOSTILE_TITLES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshot.png"
REPLY_TIMEOUT_MS = 120_000  # one chat turn with the embedded model on a loaded 2-core machine

# --------------------------------------------------------------------------------- helpers, no browser


def _playlist(title: str = "Test") -> Playlist:
    tracks = [
        Track(track_id="a" * 22, title=HOSTILE_TITLES[0], artist="A & B", year=1979, duration_ms=185_400,
              tempo=121.6, energy=0.814),
        Track(track_id="b" * 22, title="Plain", artist="C", duration_ms=None),
    ]
    return Playlist(title=title, tracks=tracks, reasons={"a" * 22: "upbeat *disco*"})


def test_escape_markdown_keeps_text_literal() -> None:
    assert escape_markdown("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape_markdown("**bold** [x](javascript:y) `c` #h a_b $m$") == (
        r"\*\*bold\*\* \[x\](javascript:y) \`c\` \#h a\_b \$m\$")
    assert escape_markdown("R&B\nline") == "R&amp;B\nline"


def test_table_rows_and_summary() -> None:
    p = _playlist("<b>Night</b> *drive*")
    rows = table_rows(p)
    assert rows[0] == ["1", HOSTILE_TITLES[0], "A & B", "1979", "3:05", "122", "0.81", "upbeat *disco*"]
    assert rows[1] == ["2", "Plain", "C", "", "", "", "", ""]  # unknown values stay empty, never "None"
    assert table_rows(None) == []
    assert summary_markdown(p) == r"**&lt;b&gt;Night&lt;/b&gt; \*drive\*** · 2 tracks · 3 min"
    assert format_length(59_600) == "1:00" and format_total(3_900_000) == "1 h 05 min"


def test_arc_figure_plots_energy_and_tempo_by_position() -> None:
    fig = arc_figure(_playlist())
    energy_line = fig.axes[0].lines[0]
    tempo_line = fig.axes[1].lines[0]
    assert list(energy_line.get_xdata()) == [1, 2]
    assert energy_line.get_ydata()[0] == pytest.approx(0.814)
    assert tempo_line.get_ydata()[0] == pytest.approx(121.6)
    assert arc_figure(Playlist(title="empty")) is None


def test_write_exports_uses_safe_names_inside_the_folder(tmp_path: Path) -> None:
    files = write_exports(_playlist("../../etc/<passwd>"), tmp_path / "out")
    assert sorted(files) == ["csv", "json", "m3u", "xspf"]
    for fmt, path in files.items():
        assert path.parent == tmp_path / "out" and path.suffix == f".{fmt}"
        assert "/" not in path.name and "<" not in path.name
    assert files["m3u"].read_text().splitlines()[0] == "#EXTM3U"
    write_exports(_playlist("Other"), tmp_path / "out")  # a new export replaces the old files
    assert len(list((tmp_path / "out").iterdir())) == 4


# --------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh, which installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class UIPage:
    """One browser context (its own cookies and Gradio session) on the app, with what it saw."""

    def __init__(self, browser: object, url: str) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": 1400, "height": 1050}, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", self._request)
        self.page.goto(url, wait_until="load")
        self.page.locator("#message textarea").wait_for()

    def _request(self, request: object) -> None:
        if not request.url.startswith((self.url, "data:", "blob:")):
            self.outside.append(request.url)

    def rows(self) -> int:
        """Rows of the playlist table (the grid is virtualised: its aria-rowcount counts every row + header)."""
        return int(self.page.locator("#playlist [role=grid]").get_attribute("aria-rowcount")) - 1

    def wait_rows(self, n: int) -> None:
        self.page.wait_for_function(
            "n => Number(document.querySelector('#playlist [role=grid]').getAttribute('aria-rowcount')) === n + 1",
            arg=n, timeout=REPLY_TIMEOUT_MS)

    def cell(self, row: int, col: int) -> str:
        return self.page.locator(f'#playlist [data-testid="cell-{row}-{col}"]').inner_text()

    def titles(self) -> list[str]:
        return [self.cell(r, 1) for r in range(min(self.rows(), 8))]  # the rows rendered without scrolling

    def bot_messages(self) -> list[str]:
        return self.page.locator("#chat [data-testid=bot]").all_inner_texts()

    def send(self, text: str) -> None:
        """Send `text` and wait until the reply has finished streaming (the Send button is idle again)."""
        before = len(self.bot_messages())
        self.page.locator("#message textarea").fill(text)
        self.page.locator("#send").click()
        self.page.wait_for_function(
            "n => document.querySelectorAll('#chat [data-testid=bot]').length > n", arg=before,
            timeout=REPLY_TIMEOUT_MS)
        self.wait_idle()

    def click(self, button: str) -> None:
        """Click an action button and wait for its reply (every action but "new chat" adds one)."""
        before = len(self.bot_messages())
        self.page.locator(f"#{button}").click()
        self.page.wait_for_function(
            "n => document.querySelectorAll('#chat [data-testid=bot]').length !== n", arg=before,
            timeout=REPLY_TIMEOUT_MS)
        self.wait_idle()

    def wait_idle(self) -> None:
        """Until every component's progress tracker is hidden (no event pending or generating)."""
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=status-tracker]:not(.hide)')", timeout=REPLY_TIMEOUT_MS)

    def wait_summary(self, n: int) -> None:
        """The follow-up render (summary, plot, downloads) has caught up with an n-track playlist."""
        self.page.locator("#summary").get_by_text(f"{n} track").wait_for(timeout=REPLY_TIMEOUT_MS)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def ui(browser: object, ui_url: str) -> Iterator[UIPage]:
    page = UIPage(browser, ui_url)
    yield page
    assert page.outside == [], f"the page contacted hosts beyond the app: {page.outside}"
    page.close()


@pytest.mark.browser
def test_request_refine_undo_thumbs_and_m3u(ui: UIPage, tmp_path: Path) -> None:
    page = ui.page
    # example prompts on a first visit; the page may still be rendering its blocks after the textbox shows
    page.get_by_text("Try one of these").wait_for(state="visible", timeout=30_000)
    page.locator("#backend").click()
    # the accordion opens with an animation: wait for its text rather than reading it at once
    page.get_by_text("LLM backend:").wait_for(state="visible", timeout=30_000)
    assert "LLM backend: embedded" in page.locator("#backend").inner_text()
    assert re.search(r"Catalog: catalog\.csv \(\d{3} tracks\)", page.locator("#backend").inner_text())

    ui.send("10 tracks of upbeat dance pop")
    ui.wait_rows(10)
    ui.wait_summary(10)
    first = ui.titles()
    assert page.locator("#arc img").count() == 1  # the energy/tempo plot
    assert "min" in page.locator("#summary").inner_text()  # the total length
    if os.environ.get("SEGUE_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    ui.send("only 6 tracks")  # refine
    ui.wait_rows(6)
    assert set(ui.titles()) <= set(first)  # shortened: no new tracks
    ui.click("undo")
    ui.wait_rows(10)
    assert ui.titles() == first

    page.locator('#playlist [data-testid="cell-1-1"]').click()  # pick track 2 ...
    page.wait_for_function("() => document.querySelector('#position input').value === '2'")
    ui.click("dislike")  # ... thumbs down removes it
    ui.wait_rows(9)
    assert first[1] not in ui.titles() and ui.titles()[:1] == first[:1]
    page.locator('#playlist [data-testid="cell-0-2"]').click()
    page.wait_for_function("() => document.querySelector('#position input').value === '1'")
    ui.click("like")
    assert ui.bot_messages()[-1].startswith("Noted: you like")
    assert ui.rows() == 9

    ui.wait_summary(9)
    with page.expect_download() as download:
        page.locator("#download-m3u").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".m3u"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and lines[1].startswith("#PLAYLIST:")
    tracks = lines[2:]
    assert len(tracks) == 2 * 9
    for i in range(9):
        assert tracks[2 * i].startswith("#EXTINF:") and tracks[2 * i + 1].startswith("spotify:track:")
    shown = [f"{ui.cell(r, 2)} - {ui.cell(r, 1)}" for r in range(8)]
    assert [t.split(",", 1)[1] for t in tracks[0::2]][:8] == shown


@pytest.mark.browser
def test_hostile_titles_and_messages_render_as_text(ui: UIPage) -> None:
    page = ui.page
    hostile_message = f'songs by {HOSTILE_ARTIST} <img src=x onerror="window.__xss=3">'
    ui.send(hostile_message)
    page.wait_for_function("() => document.querySelector('#playlist').innerText.includes('onerror=alert(1)')",
                           timeout=REPLY_TIMEOUT_MS)
    table = page.locator("#playlist").inner_text()
    for title in HOSTILE_TITLES:
        assert title in table  # shown literally, markup and Markdown alike
    assert hostile_message in page.locator("#chat [data-testid=user]").last.inner_text()
    assert page.locator("#chat img, #playlist img, #summary img, #playlist b, #chat b").count() == 0
    assert page.evaluate("window.__xss") is None
    assert ui.dialogs == []


@pytest.mark.browser
def test_two_browsers_have_their_own_chat_and_playlist(browser: object, ui_url: str) -> None:
    a, b = UIPage(browser, ui_url), UIPage(browser, ui_url)
    try:
        a.send("5 tracks of latin tropical")
        a.wait_rows(5)
        assert b.rows() == 0 and b.bot_messages() == []
        b.send("7 tracks of rock")
        b.wait_rows(7)
        assert a.rows() == 5 and len(a.bot_messages()) == 1
        assert set(a.titles()).isdisjoint(b.titles())
        b.click("undo")
        b.wait_rows(0)
        assert a.rows() == 5
    finally:
        a.close()
        b.close()
