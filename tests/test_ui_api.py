"""The web UI's named API endpoints, called with `gradio_client` against `python app.py` in a subprocess.

Each `Client` is its own Gradio session: its chat and playlist live on the server between calls.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app import UIConfigError, check_exposure, check_port, is_loopback

pytestmark = pytest.mark.server

ENDPOINTS = {"/send", "/undo", "/new_chat", "/feedback", "/remove", "/export"}
REPO = Path(__file__).resolve().parents[1]


def client(url: str, **kwargs: object):
    from gradio_client import Client

    return Client(url, verbose=False, **kwargs)


def rows(table: dict) -> list[list[str]]:
    return table["data"]


def ids(reply: dict) -> list[str]:
    """Track ids of the playlist in a reply, in order."""
    return [t["track_id"] for t in reply["playlist"]["tracks"]]


# --------------------------------------------------------------------------------- launch options


def test_password_is_required_beyond_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "secret")
    with pytest.raises(UIConfigError, match="SEGUE_UI_PASSWORD"):
        check_exposure("0.0.0.0", None)
    env = {k: v for k, v in os.environ.items() if k != "SEGUE_UI_PASSWORD"}
    done = subprocess.run([sys.executable, str(REPO / "app.py"), "--host", "0.0.0.0", "--port", "1"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: refusing to listen on 0.0.0.0 without a password")
    assert "Traceback" not in done.stderr


def test_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UIConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_port("127.0.0.1", port)


# --------------------------------------------------------------------------------- the endpoints


def test_endpoints_are_named(ui_url: str) -> None:
    api = client(ui_url).view_api(print_info=False, return_format="dict")
    assert ENDPOINTS <= set(api["named_endpoints"])
    send = api["named_endpoints"]["/send"]
    assert [p["parameter_name"] for p in send["parameters"]] == ["message"]
    assert [p["parameter_name"] for p in api["named_endpoints"]["/feedback"]["parameters"]] == ["position", "liked"]


def test_send_remove_dislike_undo_export_new_chat(ui_url: str) -> None:
    c = client(ui_url)
    chat, table, reply = c.predict("8 tracks of upbeat dance pop", api_name="/send")
    first = ids(reply)
    assert len(first) == 8 and len(rows(table)) == 8
    assert table["headers"] == ["#", "Title", "Artist", "Year", "Length", "BPM", "Energy", "Why it fits"]
    assert [r[0] for r in rows(table)] == [str(i) for i in range(1, 9)]
    assert [r[1] for r in rows(table)] == [t["title"] for t in reply["playlist"]["tracks"]]
    assert [m["role"] for m in chat] == ["user", "assistant"] and reply["kind"] == "playlist"
    assert reply["text"].strip() and sorted(reply["changes"]["added"]) == sorted(first)

    chat, table, reply = c.predict(3, api_name="/remove")
    assert ids(reply) == first[:2] + first[3:] and reply["changes"]["removed"] == [first[2]]
    assert reply["text"].startswith("Removed") and len(rows(table)) == 7

    _, _, reply = c.predict(1, False, api_name="/feedback")  # thumbs down: gone for the rest of the chat
    assert ids(reply) == first[1:2] + first[3:]
    _, table, reply = c.predict("add 4 more", api_name="/send")
    assert len(ids(reply)) == 10 and len(rows(table)) == 10
    assert first[0] not in ids(reply) and first[2] not in ids(reply)

    _, _, reply = c.predict(2, True, api_name="/feedback")  # thumbs up keeps the track
    assert len(ids(reply)) == 10 and "like" in reply["text"]
    _, _, reply = c.predict(99, True, api_name="/feedback")
    assert reply["text"].startswith("There is no track #99") and len(ids(reply)) == 10

    _, table, reply = c.predict(api_name="/undo")
    assert ids(reply) == first[1:2] + first[3:] and len(rows(table)) == 6

    m3u = Path(c.predict("m3u", api_name="/export")).read_text(encoding="utf-8").splitlines()
    assert m3u[0] == "#EXTM3U"
    extinf = [line for line in m3u if line.startswith("#EXTINF:")]
    assert [line.split(",", 1)[1] for line in extinf] == [f"{r[2]} - {r[1]}" for r in rows(table)]
    with open(c.predict("csv", api_name="/export"), encoding="utf-8", newline="") as fh:
        assert [r["track_id"] for r in csv.DictReader(fh)] == ids(reply)

    chat, table, reply = c.predict(api_name="/new_chat")
    assert chat == [] and rows(table) == [] and reply["playlist"] is None


def test_clients_are_isolated_and_queued(ui_url: str) -> None:
    a, b = client(ui_url), client(ui_url)
    with ThreadPoolExecutor(2) as pool:  # both at once: the queue runs them one after the other
        job_a = pool.submit(a.predict, "5 tracks of latin tropical", api_name="/send")
        job_b = pool.submit(b.predict, "7 tracks of rock", api_name="/send")
        (chat_a, table_a, _), (chat_b, table_b, _) = job_a.result(), job_b.result()
    assert len(rows(table_a)) == 5 and len(rows(table_b)) == 7
    assert [m["role"] for m in chat_a] == [m["role"] for m in chat_b] == ["user", "assistant"]
    assert "latin" in str(chat_a[0]["content"]) and "rock" in str(chat_b[0]["content"])
    _, table_a, _ = a.predict(api_name="/undo")  # a's undo empties a's playlist only
    assert rows(table_a) == []
    _, table_b, _ = b.predict(1, api_name="/remove")
    assert len(rows(table_b)) == 6
    with pytest.raises(Exception, match="No playlist to export"):
        client(ui_url).predict("m3u", api_name="/export")


def test_bad_input_gets_an_answer_not_a_crash(ui_url: str) -> None:
    c = client(ui_url)
    chat, table, reply = c.predict("x" * 5000, api_name="/send")
    assert "more than the limit" in reply["text"] and rows(table) == [] and reply["playlist"] is None
    chat, table, reply = c.predict("   ", api_name="/send")  # nothing to say: nothing happens
    assert len(chat) == 2 and rows(table) == [] and reply["text"] == ""
    chat, table, reply = c.predict(1, api_name="/remove")
    assert reply["text"].startswith("There is no track #1") and len(chat) == 3


def test_password_protects_the_app(ui_data_dir: Path) -> None:
    """Beyond loopback a password is required; with one set, even a loopback client must log in."""
    from tests.conftest import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUE_")}
    env.update(SEGUE_DATA_DIR=str(ui_data_dir), SEGUE_THREADS="1", SEGUE_LLM_THREADS="1",
               SEGUE_UI_PASSWORD="correct horse", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(proc, url)
        assert httpx.get(f"{url}/config", timeout=5).status_code == 401
        assert httpx.post(f"{url}/login", data={"username": "me", "password": "wrong"}, timeout=5).status_code == 400
        assert httpx.post(f"{url}/login", data={"username": "me", "password": "correct horse"},
                          timeout=5).status_code == 200
        api = client(url, auth=("anyone", "correct horse")).view_api(print_info=False, return_format="dict")
        assert "/send" in api["named_endpoints"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _wait_up(proc: subprocess.Popen, url: str, timeout_s: float = 180) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"app exited with {proc.returncode}"
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"app not up after {timeout_s} s")
