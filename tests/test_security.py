"""Security: no code runs from data, limits hold, export names are safe, the UI stays on loopback unless
a password guards it.

The static check reads the product packages (assistant, retrieval, evals, app.py) with `ast`: no eval/exec,
no unpickling (pickle, marshal, shelve, torch.load, `allow_pickle=True`), no unsafe YAML, no shell.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assistant.api import MusicAssistant
from assistant.errors import RequestTooLongError
from assistant.export import EXPORTERS, MAX_FILENAME_CHARS, safe_filename
from assistant.playlist import Playlist
from assistant.spec import MAX_TRACKS
from assistant.ui_support import write_exports
from retrieval.catalog import Track
from retrieval.index import TrackIndex
from retrieval.settings import Settings
from tests.conftest import TEST_THREADS, free_port, serve_app

REPO = Path(__file__).resolve().parents[1]
PRODUCT = [REPO / "app.py", *sorted(p for pkg in ("assistant", "retrieval", "evals") for p in (REPO / pkg).rglob("*.py"))]

# --------------------------------------------------------------------------------------- static check

FORBIDDEN_CALLS = {
    "eval": "eval runs text as code",
    "exec": "exec runs text as code",
    "compile": "compile builds code from text",
    "__import__": "imports a module named by data",
    "pickle.load": "unpickling runs code", "pickle.loads": "unpickling runs code",
    "pickle.Unpickler": "unpickling runs code",
    "marshal.load": "marshal loads code objects", "marshal.loads": "marshal loads code objects",
    "shelve.open": "shelve unpickles", "dill.load": "unpickling runs code", "dill.loads": "unpickling runs code",
    "joblib.load": "joblib unpickles", "pandas.read_pickle": "unpickling runs code",
    "torch.load": "torch.load unpickles",
    "yaml.load": "yaml.load builds arbitrary objects: use yaml.safe_load",
    "yaml.unsafe_load": "yaml.unsafe_load builds arbitrary objects", "yaml.full_load": "builds arbitrary objects",
    "os.system": "runs a shell", "os.popen": "runs a shell",
}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle"}
FORBIDDEN_TRUE_KEYWORDS = {"shell": "shell=True runs a shell", "allow_pickle": "allow_pickle=True unpickles"}


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted origin, from every import in the module (`import numpy as np`: np -> numpy)."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def unsafe_calls(source: str, filename: str = "<source>") -> list[str]:
    """Every construct of FORBIDDEN_* in `source`, as "file:line: what (why)"."""
    tree = ast.parse(source, filename)
    aliases = _aliases(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{filename}:{node.lineno}: import {m} (unpickling module)" for m in modules
                      if m.split(".")[0] in FORBIDDEN_MODULES]
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func, aliases)
        if name in FORBIDDEN_CALLS:
            found.append(f"{filename}:{node.lineno}: {name}() ({FORBIDDEN_CALLS[name]})")
        for kw in node.keywords:
            if kw.arg in FORBIDDEN_TRUE_KEYWORDS and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{filename}:{node.lineno}: {kw.arg}= ({FORBIDDEN_TRUE_KEYWORDS[kw.arg]})")
    return found


def test_the_checker_finds_each_forbidden_construct() -> None:
    bad = """
import pickle
import marshal as m
import numpy as np
import yaml, subprocess, os, torch
from pickle import loads as l
eval("1"); exec("x = 1"); compile("1", "f", "eval"); __import__("os")
pickle.load(f); l(b""); m.loads(b"")
np.load("x.npy", allow_pickle=True)
yaml.load(text)
subprocess.run("ls", shell=True)
subprocess.Popen("ls", shell=flag)
os.system("ls")
torch.load("model.pt")
"""
    found = unsafe_calls(bad)
    for what in ("import pickle", "import marshal", "eval()", "exec()", "compile()", "__import__()", "pickle.load()",
                 "pickle.loads()", "marshal.loads()", "allow_pickle=", "yaml.load()", "os.system()", "torch.load()"):
        assert any(what in f for f in found), what
    assert sum("shell=" in f for f in found) == 2  # shell=True and a shell= whose value is not a literal False
    good = """
import re, json, subprocess, yaml
import numpy as np
re.compile("x"); json.loads("1"); yaml.safe_load("a: 1"); np.load("x.npy", allow_pickle=False)
subprocess.run(["ls"], shell=False); ast.literal_eval("1")
"""
    assert unsafe_calls(good) == []


def test_product_code_never_runs_data_as_code() -> None:
    assert len(PRODUCT) > 30 and (REPO / "app.py") in PRODUCT
    found = [f for path in PRODUCT for f in unsafe_calls(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == []


# --------------------------------------------------------------------------------------- limits


@pytest.fixture(scope="module")
def small_limits(slice_index: TrackIndex, tmp_path_factory: pytest.TempPathFactory) -> MusicAssistant:
    settings = Settings(data_dir=tmp_path_factory.mktemp("sec") / "data", threads=TEST_THREADS, chroma_url=None,
                        max_message_chars=120, max_tracks=20)
    return MusicAssistant(settings, index=slice_index)


def test_message_length_limit_holds_at_the_boundary(small_limits: MusicAssistant) -> None:
    at_limit = ("chill acoustic evening " * 10)[:120]
    assert len(small_limits.generate_playlist(at_limit).tracks) == 15
    with pytest.raises(RequestTooLongError, match="121 characters, more than the limit of 120"):
        small_limits.generate_playlist(at_limit + "x")
    chat = small_limits.start_chat(use_llm=False)
    refused = chat.send(at_limit + "x")
    assert refused.kind == "message" and "more than the limit of 120" in refused.text and chat.playlist is None
    assert chat.send(at_limit).kind == "playlist"


@pytest.mark.parametrize("request_text, overrides", [
    ("give me 500 songs of rock", {}),
    ("rock", {"n_tracks": 10_000}),
    ("ten hours of rock", {}),
    ("rock", {"minutes": 600}),
])
def test_no_playlist_exceeds_the_track_limit(small_limits: MusicAssistant, request_text: str,
                                             overrides: dict[str, int]) -> None:
    playlist = small_limits.generate_playlist(request_text, **overrides)
    assert 0 < len(playlist.tracks) <= 20
    if "n_tracks" in overrides or "500" in request_text:
        assert len(playlist.tracks) == 20 and any("at most 20 tracks" in n for n in playlist.notices)
    else:  # a length in minutes stops at the limit and says so
        assert any("more than 20 tracks" in r.reason for r in playlist.relaxed), playlist.relaxed


def test_chat_refinements_respect_the_track_limit(small_limits: MusicAssistant) -> None:
    chat = small_limits.start_chat(use_llm=False)
    reply = chat.send("give me 500 songs of rock")
    assert len(reply.playlist.tracks) == 20 and any("at most 20 tracks" in n for n in reply.notices)
    for message in ("make it 300 tracks", "add 50 more like track 1", "make it 10 hours"):
        reply = chat.send(message)
        assert reply.playlist is not None and len(reply.playlist.tracks) <= 20, (message, reply.text[:200])


def test_the_hard_track_limit_wins_over_settings(slice_index: TrackIndex, tmp_path: Path) -> None:
    assistant = MusicAssistant(Settings(data_dir=tmp_path, threads=TEST_THREADS, max_tracks=100_000), index=slice_index)
    assert assistant.max_tracks == MAX_TRACKS
    assert len(assistant.generate_playlist("rock", n_tracks=5_000).tracks) == MAX_TRACKS


# --------------------------------------------------------------------------------------- export names

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
HOSTILE_PARTS = st.sampled_from(["..", "/", "\\", ".", "\x00", "\u202e", "\u200b", "\ud800", "CON", "nul", "<", ">",
                                 ":", '"', "|", "?", "*", " ", "\n", "~", "$HOME", "%2e%2e%2f", "．．／", "\ufeff"])
TITLES = ANY_TEXT | st.lists(HOSTILE_PARTS | ANY_TEXT, max_size=12).map("".join)


@hsettings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES, fmt=st.sampled_from(sorted(EXPORTERS)))
def test_export_names_are_safe_for_any_title(tmp_path: Path, title: str, fmt: str) -> None:
    name = safe_filename(title, fmt)
    stem = name.removesuffix(f".{fmt}")
    assert name.endswith(f".{fmt}") and 0 < len(stem) <= MAX_FILENAME_CHARS + len("playlist_")
    assert not any(c in '/\\<>:"|?*' or unicodedata.category(c)[0] == "C" for c in name)
    assert not stem.startswith((".", "-", " ")) and stem.split(".")[0].lower() not in {"con", "nul", "prn", "aux"}
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / name).write_text("x", encoding="utf-8")  # a real file: every name can be written ...
    assert [p.name for p in folder.iterdir()] == [name]  # ... and lands right in the folder


def test_exports_of_a_hostile_title_stay_in_their_folder(tmp_path: Path) -> None:
    track = Track(track_id="a" * 22, title="=cmd|' /C calc'!A0", artist="<script>alert(1)</script>", duration_ms=1000)
    playlist = Playlist(title="../../../etc/passwd\u202egpj.exe <script>", tracks=[track])
    folder = tmp_path / "exports"
    paths = write_exports(playlist, folder)
    assert {p.parent for p in paths.values()} == {folder} and len(list(folder.iterdir())) == 4
    assert not (tmp_path / "etc").exists()
    assert "'=cmd" in paths["csv"].read_text(encoding="utf-8")  # the spreadsheet formula is defused


# --------------------------------------------------------------------------------------- the UI


def no_segue_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEGUE_")}


def port_is_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("command", [
    [sys.executable, str(REPO / "app.py"), "--host", "0.0.0.0"],
    [sys.executable, str(REPO / "app.py"), "--host", "::"],
    [sys.executable, "-m", "assistant.cli", "ui", "--host", "0.0.0.0"],
], ids=["app-any", "app-ipv6-any", "segue-ui"])
def test_the_ui_refuses_a_public_interface_without_a_password(tmp_path: Path, command: list[str]) -> None:
    """Refused before anything is loaded (the data dir has no index, so a later check would say so) and
    before any port is bound."""
    port = free_port()
    env = {**no_segue_env(), "SEGUE_DATA_DIR": str(tmp_path / "no-index"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([*command, "--port", str(port)], capture_output=True, text=True, env=env, timeout=120,
                          cwd=REPO)
    host = command[command.index("--host") + 1]
    assert done.returncode == 1
    assert done.stderr.strip() == (f"error: refusing to listen on {host} without a password: set SEGUE_UI_PASSWORD "
                                   "(or pass --password), or keep the default host 127.0.0.1")
    assert not port_is_open(port) and not (tmp_path / "no-index").exists()


@pytest.mark.server
def test_the_ui_listens_on_loopback_only_by_default(ui_url: str) -> None:
    port = int(ui_url.rsplit(":", 1)[1])
    listening = [c.laddr.ip for c in psutil.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
    assert listening == ["127.0.0.1"]


@pytest.mark.server
def test_a_password_guards_the_ui_and_its_api(ui_data_dir: Path) -> None:
    import httpx
    from gradio_client import Client

    with serve_app(ui_data_dir, SEGUE_UI_PASSWORD="correct horse battery") as url:
        assert httpx.get(f"{url}/config", timeout=10).status_code == 401
        for auth in (None, ("anyone", "wrong password")):
            with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a different type per refusal
                Client(url, verbose=False, download_files=False, auth=auth).predict("rock", api_name="/send")
        session = Client(url, verbose=False, download_files=False, auth=("anyone", "correct horse battery"))
        table = session.predict("upbeat dance pop for a party", api_name="/send")[1]
        assert len(table["data"]) == 15


@pytest.mark.server
def test_ui_export_names_are_sanitised(ui_url: str, tmp_path: Path) -> None:
    from gradio_client import Client

    session = Client(ui_url, verbose=False, download_files=str(tmp_path))
    session.predict("../../etc/passwd \u202egpj.exe <b>dance</b> pop", api_name="/send")
    for fmt in ("m3u", "json"):
        path = Path(session.predict(fmt, api_name="/export"))
        assert path.suffix == f".{fmt}" and path.is_relative_to(tmp_path), path
        assert not any(c in "/\\<>" or unicodedata.category(c)[0] == "C" for c in path.name)
        assert ".." not in path.name and "etc" in path.name  # sanitised, not dropped
