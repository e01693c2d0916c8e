"""The `segue` command line. Heavy modules are imported inside the commands so `--help` stays instant."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

app = typer.Typer(
    help="Segue: a conversational music assistant that builds playlists from a real catalog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks: speed and memory, printed as a table or JSON.", no_args_is_help=True)
llm_app = typer.Typer(help="The LLM backend: inspect it or serve the embedded model over HTTP.", no_args_is_help=True)
eval_app = typer.Typer(help="Offline evaluation suites that compare Segue with baselines.", no_args_is_help=True)
profile_app = typer.Typer(help="Listener taste profiles: import history, show what Segue knows.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(llm_app, name="llm")
app.add_typer(eval_app, name="eval")
app.add_typer(profile_app, name="profile")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error on stderr and exit: the CLI never shows a traceback for an expected failure."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_result(result: dict[str, Any], as_json: bool, skip: tuple[str, ...] = ()) -> None:
    """A benchmark's or info command's result: JSON, or one aligned `key: value` line per scalar entry."""
    if as_json:
        print_json(result)
        return
    shown = [k for k in result if k not in skip]
    width = max((len(k) for k in shown), default=0)
    for key in shown:
        value = result[key]
        typer.echo(f"{key:>{width}}: {', '.join(map(str, value)) if isinstance(value, list) else value}")


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is meant for the user; anything else is a bug and keeps its traceback."""
    from retrieval.errors import SegueError

    return (SegueError,)


def main() -> None:
    try:
        app()
    except _expected_errors() as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


# --------------------------------------------------------------------------------------- foundation


@app.command()
def ingest(
    catalog: Annotated[Optional[Path], typer.Option(help="Catalog file (CSV or JSONL); default: the shipped Spotify catalog.")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when an index already exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Embed the catalog and store it in the index; only new or changed tracks are embedded."""
    from retrieval.ingest import ingest as run_ingest
    from retrieval.settings import get_settings
    from retrieval.snapshot import read_manifest

    settings = get_settings()
    if if_missing and read_manifest(settings.index_dir) is not None:
        typer.echo(f"Index present in {settings.index_dir}; skipping ingest (run `segue ingest` to update it).")
        return
    result = run_ingest(settings, catalog, progress=not as_json)
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(result.summary())


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("-k", help="How many tracks to show.", min=1, max=1000)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Dense (semantic) search over the indexed tracks."""
    from retrieval.index import open_index
    from retrieval.settings import get_settings

    index = open_index(get_settings())
    hits = index.dense_search(query, k=k)
    rows = [
        {"track_id": t.track_id, "title": t.title, "artist": t.artist, "score": round(score, 4)}
        for t, score in hits
    ]
    if as_json:
        print_json(rows)
        return
    for i, r in enumerate(rows, 1):
        typer.echo(f"{i:>3}. {r['score']:.3f}  {r['title']} — {r['artist']}  [{r['track_id']}]")


# --------------------------------------------------------------------------------------- playlists


@app.command()
def playlist(
    request: Annotated[str, typer.Argument(help="What you want to hear, in plain words.")],
    n: Annotated[Optional[int], typer.Option("-n", help="Number of tracks.", min=1)] = None,
    minutes: Annotated[Optional[float], typer.Option("--minutes", help="Length in minutes instead of a count.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a playlist from the catalog for a plain-language request."""
    from assistant.api import MusicAssistant
    from assistant.builder import format_duration
    from assistant.export import playlist_dict

    if n is not None and minutes is not None:
        fail("give the length as -n (tracks) or --minutes, not both")
    overrides: dict[str, Any] = {}
    if n is not None:
        overrides["n_tracks"] = n
    if minutes is not None:
        overrides["minutes"] = minutes
    result = MusicAssistant().generate_playlist(request, **overrides)
    if as_json:
        print_json(playlist_dict(result))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{result.title}\n{result.description}"), title_justify="left")
    for column, justify in (("#", "right"), ("title — artist", "left"), ("year", "right"), ("time", "right"),
                            ("BPM", "right"), ("energy", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for i, t in enumerate(result.tracks, 1):
        table.add_row(str(i), Text(f"{t.title} — {t.artist}"), str(t.year or ""), format_duration(t.duration_ms),
                      f"{t.tempo:.0f}" if t.tempo else "", f"{t.energy:.2f}" if t.energy is not None else "")
    Console().print(table)
    for r in result.relaxed:
        typer.echo(f"relaxed {r.constraint}: {r.reason}")
    for notice in result.notices:
        typer.echo(f"note: {notice}")


@bench_app.command("playlist")
def bench_playlist(as_json: JsonOpt = False) -> None:
    """p50/p95 latency of generate_playlist (no LLM) over 200 real and generated requests."""
    from assistant.bench import bench_playlist as run

    result = run(progress=not as_json)
    print_result(result, as_json)


@bench_app.command("ingest")
def bench_ingest(as_json: JsonOpt = False) -> None:
    """Full-catalog ingest into a fresh temporary index, then a no-change re-ingest."""
    from retrieval.bench import bench_ingest as run

    result = run(progress=not as_json)
    print_result(result, as_json)


@bench_app.command("scale")
def bench_scale(
    sizes: Annotated[str, typer.Option(help="Catalog sizes to build, comma-separated.")] = "28000,100000,500000",
    as_json: JsonOpt = False,
) -> None:
    """Synthetic catalogs of each size: ingest rate, disk, memory, search / filtered / `where` / playlist latency."""
    from assistant.bench_scale import bench_scale as run

    try:
        counts = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        fail(f"--sizes takes whole numbers separated by commas, not {sizes!r}")
    if not counts or min(counts) < 100:
        fail("--sizes needs at least one size of 100 tracks or more")
    result = run(counts, progress=not as_json)
    if as_json:
        print_json(result)
        return
    for n, row in result["sizes"].items():
        typer.echo(f"{n} tracks:")
        for key, value in row.items():
            typer.echo(f"  {key:>28}: {value}")
    for key, value in result.items():
        if key != "sizes":
            typer.echo(f"{key}: {value}")


# --------------------------------------------------------------------------------------- llm


@bench_app.command("llm")
def bench_llm(as_json: JsonOpt = False) -> None:
    """LLM load time, time to first token, tokens/s over a 100-token reply and peak memory."""
    from assistant.llm.bench import bench_llm as run

    result = run()
    print_result(result, as_json)


@llm_app.command("info")
def llm_info(as_json: JsonOpt = False) -> None:
    """Which backend and model are in use; for a server, whether it answers and what it serves."""
    from assistant.llm import get_llm

    info = get_llm().info()
    print_result(info, as_json)
    if info.get("reachable") is False or info.get("model_served") is False:
        raise typer.Exit(1)


@llm_app.command("serve")
def llm_serve(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 picks a free one).", min=0, max=65535)] = 8080,
) -> None:
    """Serve the embedded model as an OpenAI-compatible API on 127.0.0.1 until Ctrl-C."""
    from assistant.llm.embedded import serve
    from retrieval.settings import get_settings

    serve(get_settings(), port)


# --------------------------------------------------------------------------------------- profiles

UserOpt = Annotated[str, typer.Option("--user", "-u", help="The listener's name (profiles are per user).")]
UNMATCHED_SHOWN = 50


@profile_app.command("import")
def profile_import(
    file: Annotated[Path, typer.Argument(help="A history CSV (title, artist[, play_count, timestamp]) or an "
                                              "Apple Music/iTunes Library.xml export.")],
    user: UserOpt,
    as_json: JsonOpt = False,
) -> None:
    """Import listening history into a profile; every row that matches no catalog track is listed."""
    from assistant.history_import import import_history
    from assistant.profiles import ProfileStore, store_path
    from retrieval.index import open_index
    from retrieval.settings import get_settings

    settings = get_settings()
    report = import_history(ProfileStore(store_path(settings.data_dir)), user, file,
                            open_index(settings, use_store=False).tracks)
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(report.summary())
    for u in report.unmatched[:UNMATCHED_SHOWN]:
        near = f" (closest: {u.closest})" if u.closest else ""
        typer.echo(f"  unmatched {u.where}: {u.title or '?'} — {u.artist or '?'}: {u.reason}{near}")
    if len(report.unmatched) > UNMATCHED_SHOWN:
        typer.echo(f"  ... and {len(report.unmatched) - UNMATCHED_SHOWN} more unmatched rows (--json lists all)")


@profile_app.command("show")
def profile_show(
    user: Annotated[Optional[str], typer.Option("--user", "-u", help="The listener; omit to list all users.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What Segue knows about a listener: likes, dislikes, most played tracks, favourite artists, habit."""
    from assistant.profiles import ProfileStore, store_path
    from assistant.taste import profile_summary
    from retrieval.settings import get_settings

    settings = get_settings()
    store = ProfileStore(store_path(settings.data_dir))
    if user is None:
        users = store.users()
        if as_json:
            print_json({"users": users})
        else:
            typer.echo("\n".join(users) if users else "no profiles yet: `segue profile import FILE --user NAME`")
        return
    from retrieval.index import open_index

    summary = profile_summary(store.profile(user), open_index(settings, use_store=False))
    if as_json:
        print_json(summary)
        return
    habit = {"hits": "mostly hits", "deep_cuts": "mostly deep cuts"}.get(str(summary["popularity_habit"]),
                                                                         "no clear lean to hits or deep cuts")
    typer.echo(f"{summary['user']}: {summary['tracks_played']} tracks played ({summary['plays']} plays), "
               f"{len(summary['liked_tracks'])} liked, {len(summary['disliked_tracks'])} disliked; {habit}")
    if summary["favourite_artists"]:
        typer.echo(f"favourite artists: {', '.join(summary['favourite_artists'])}")
    for label, key in (("liked artists", "liked_artists"), ("disliked artists", "disliked_artists")):
        if summary[key]:
            typer.echo(f"{label}: {', '.join(summary[key])}")
    for label, key in (("liked", "liked_tracks"), ("disliked", "disliked_tracks"), ("most played", "most_played")):
        if summary[key]:
            typer.echo(f"{label}:")
            for t in summary[key]:
                plays = f"  ({t['plays']} plays)" if "plays" in t else ""
                typer.echo(f"  {t['title']} — {t['artist']}{plays}  [{t['track_id']}]")


# --------------------------------------------------------------------------------------- chat


@app.command()
def chat(
    user: Annotated[Optional[str], typer.Option("--user", "-u", help="The listener whose taste steers the playlists.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Explanations built from the metadata only.")] = False,
) -> None:
    """Talk to Segue in the terminal: ask for a playlist, then refine it (/undo, /new, /quit; Ctrl-D exits)."""
    from assistant.api import MusicAssistant
    from assistant.chat_terminal import run_chat

    assistant = MusicAssistant(user=user)
    if not len(assistant.index):  # opening it now reports a missing index before the first message
        fail("the index is empty: run `segue ingest` first")
    run_chat(assistant.start_chat(use_llm=not no_llm))


@bench_app.command("chat")
def bench_chat(as_json: JsonOpt = False) -> None:
    """Scripted conversations with the LLM: per turn, time to the playlist and to the whole reply (p50/p95)."""
    from assistant.bench_chat import bench_chat as run

    result = run(progress=not as_json)
    print_result(result, as_json, skip=("per_turn",))
    if as_json:
        return
    for t in result["per_turn"]:
        typer.echo(f"  {t['conversation']}.{t['turn']:<2} {t['playlist_s']:6.2f}s {t['reply_s']:6.2f}s  {t['kind']:<8} "
                   f"{t['message']}")


@bench_app.command("load")
def bench_load(
    users: Annotated[int, typer.Option("--users", min=1, max=200, help="Concurrent simulated listeners.")] = 20,
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="How long new requests are sent.")] = 60,
    url: Annotated[str, typer.Option("--url", help="The running UI (`segue ui`); loopback only.")] = "http://127.0.0.1:7860",
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one request may take.")] = 180,
    password: Annotated[Optional[str], typer.Option(envvar="SEGUE_UI_PASSWORD", show_envvar=True,
                                                    help="Password of the UI, if it has one.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Listeners in their own sessions chatting with the running UI over HTTP: requests, errors, p50/p95
    latency, and leaks (a session shown another's playlist)."""
    from assistant.bench_load import bench_load as run

    print_result(run(url, users, seconds, timeout=timeout, password=password), as_json, skip=("by_endpoint",))


# --------------------------------------------------------------------------------------- web UI


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on; beyond loopback a password is required.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 7860,
    password: Annotated[Optional[str], typer.Option(envvar="SEGUE_UI_PASSWORD", show_envvar=True,
                                                    help="Password of the login page (any user name).")] = None,
) -> None:
    """Serve the web UI (chat, playlist table, energy arc, exports) until Ctrl-C."""
    from app import launch

    launch(host, port, password)


# --------------------------------------------------------------------------------------- evals

OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Also write the JSON (and for `all` the report) here.")]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N queries / dialogs / requests.")]


@eval_app.command("titles")
def eval_titles(
    seeds: Annotated[int, typer.Option("--seeds", min=0, max=50, help="Reveal each playlist's first N tracks as known taste.")] = 0,
    limit: LimitOpt = None,
    split: Annotated[str, typer.Option(help="eval (hash % 3 == 0) or train (the other playlists, for fitting).")] = "eval",
    personalised: Annotated[bool, typer.Option("--personalised", help="Also run segue_personalised: the seeds as a listener's liked tracks (needs --seeds).")] = False,
    oracles: Annotated[bool, typer.Option("--oracles", help="Also run two bounds that know each playlist's subgenre "
                                          "(oracle_hidden_labels, oracle_title_genre): how far genre knowledge can go.")] = False,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Playlist title -> tracks (RecSys Challenge 2018 title-only), Segue against four baselines."""
    from evals.report import emit
    from evals.titles import run_titles
    from retrieval.settings import get_settings

    emit(run_titles(get_settings(), seeds, limit, split, progress=not as_json, personalised=personalised,
                    oracles=oracles), as_json, out)


@eval_app.command("cpcd")
def eval_cpcd(
    dialogs: Annotated[Optional[Path], typer.Option("--dialogs", help="CPCD dialogs JSONL (.gz or plain); default: the shipped dev part.")] = None,
    limit: LimitOpt = None,
    split: Annotated[str, typer.Option(help="all, fit or holdout (a third of the dialogs by id hash, never fitted on).")] = "all",
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """The CPCD conversational protocol (its tracks enriched from the catalog), with the paper's dev figures."""
    from evals.cpcd import run_cpcd
    from evals.report import emit
    from retrieval.settings import get_settings

    emit(run_cpcd(get_settings(), dialogs, limit, split, progress=not as_json), as_json, out)


@eval_app.command("fit")
def eval_fit(
    suite: Annotated[str, typer.Argument(help="cpcd (the conversation weights) or titles (the request weights).")],
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=5, help="Passes of coordinate ascent over the weights.")] = 2,
    folds: Annotated[int, typer.Option("--folds", min=2, max=5, help="titles: training folds, each hidden in turn "
                                       "(3 hide a third of the catalog, as the eval split does).")] = 3,
    dialogs: Annotated[Optional[Path], typer.Option("--dialogs", help="cpcd: dialogs JSONL; default: the shipped dev part.")] = None,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Refit the fusion weights on training queries only (CPCD fit dialogs, or titles training folds) and show
    them beside the shipped ones, with scores on queries they were not fitted on. Prints; changes nothing."""
    from evals.fit import run_fit
    from evals.report import emit
    from retrieval.settings import get_settings

    emit(run_fit(get_settings(), suite, rounds, folds, limit, dialogs, progress=not as_json), as_json, out)


@eval_app.command("constraints")
def eval_constraints(
    n: Annotated[int, typer.Option("--n", min=1, help="How many generated requests.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the request generator.")] = 0,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Generated requests with machine-checked constraints: satisfaction per type, invented tracks, duplicates."""
    from assistant.api import MusicAssistant
    from evals.constraints import run_constraints
    from evals.report import emit

    emit(run_constraints(MusicAssistant(), n, seed, progress=not as_json), as_json, out)


@eval_app.command("requests")
def eval_requests(
    queries: Annotated[Optional[list[Path]], typer.Option("--queries", help="CSV of requests (column `original`, else the first); repeatable.")] = None,
    limit: LimitOpt = None,
    with_text: Annotated[bool, typer.Option("--with-text", help="Also have the LLM write the reply (chat).")] = False,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Real people's requests through the whole assistant: answered share, exceptions, latency."""
    from assistant.api import MusicAssistant
    from evals.report import emit
    from evals.requests import default_request_files, load_requests, run_requests

    requests = load_requests(queries or default_request_files())[:limit]
    emit(run_requests(MusicAssistant(), requests, with_text, progress=not as_json), as_json, out)


@eval_app.command("conversations")
def eval_conversations(
    dialogs: Annotated[Optional[Path], typer.Option("--dialogs", help="CPCD dialogs JSONL (.gz or plain); "
                                                    "default: the shipped dev part.")] = None,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Real CPCD conversations replayed through the chat: how often a follow-up throws the playlist away for a
    new one, what each later turn was read as, exceptions and latency per turn."""
    from assistant.api import MusicAssistant
    from evals.conversations import default_conversations, run_conversations
    from evals.report import emit

    emit(run_conversations(MusicAssistant(), default_conversations(dialogs, limit), progress=not as_json), as_json,
         out)


@eval_app.command("explanations")
def eval_explanations(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many requests (playlists of 5 tracks) to explain.")] = 10,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Share of LLM explanation sentences that are ungrounded, before and after verification."""
    from assistant.api import MusicAssistant
    from assistant.llm import get_llm
    from evals.explanations import run_explanations
    from evals.report import emit
    from evals.requests import default_request_files, load_requests
    from retrieval.settings import get_settings

    requests = load_requests(default_request_files())[:limit]
    emit(run_explanations(MusicAssistant(), get_llm(get_settings()), requests, progress=not as_json), as_json, out)


@eval_app.command("all")
def eval_all(
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, the plots and every suite's JSON.")],
    limit: LimitOpt = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Generated requests of the constraints suite.")] = 300,
) -> None:
    """Every suite, then a Markdown report with plots in OUT."""
    from evals.report import run_all
    from retrieval.settings import get_settings

    _, path = run_all(get_settings(), out, limit, n)
    typer.echo(f"report: {path}")


if __name__ == "__main__":
    main()
