"""What the suites print and write: rich tables, JSON payloads, and `segue eval all`'s Markdown report with
matplotlib plots (Agg backend, PNG files beside the report)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.metrics import mean, percentile

if TYPE_CHECKING:
    from rich.console import Console

    from evals.systems import QueryResult

SYSTEM_ORDER = ("segue", "segue_personalised", "bm25", "dense", "popularity", "random")


@dataclass
class SuiteResult:
    """A suite's JSON payload, plus raw per-query latencies (milliseconds, by system) for the plots."""

    payload: dict[str, Any]
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def suite(self) -> str:
        return str(self.payload.get("suite", "suite"))


def run_health(exceptions: int, examples: Counter[str], latencies_ms: Sequence[float]) -> dict[str, Any]:
    """The payload fields every end-to-end suite reports: crashes (count and the three commonest) and latency."""
    ordered = sorted(latencies_ms)
    return {"exceptions": exceptions,
            "exception_examples": dict(examples.most_common(3)),
            "p50_ms": round(percentile(ordered, 50), 1), "p95_ms": round(percentile(ordered, 95), 1)}


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def ranking_payload(suite: str, results: Mapping[str, Sequence["QueryResult"]], metric_names: Sequence[str],
                    macro: bool = False) -> dict[str, Any]:
    """Mean of each metric per system (macro: mean over groups of the mean within each group), the mean
    ranking time, and Segue's ratio to BM25."""
    systems: dict[str, dict[str, float]] = {}
    for name, rs in results.items():
        row: dict[str, float] = {}
        for metric in metric_names:
            if macro:
                groups: dict[str, list[float]] = {}
                for r in rs:
                    groups.setdefault(r.query.group, []).append(r.metrics[metric])
                row[metric] = round(mean([mean(v) for v in groups.values()]), 4)
            else:
                row[metric] = round(mean([r.metrics[metric] for r in rs]), 4)
        row["ms_per_query"] = round(mean([r.ms for r in rs]), 2)
        systems[name] = row
    n = len(next(iter(results.values()))) if results else 0
    payload: dict[str, Any] = {"suite": suite, "n": n, "systems": systems}
    if "segue" in systems and "bm25" in systems:
        payload["segue_vs_bm25"] = {m: ratio(systems["segue"][m], systems["bm25"][m]) for m in metric_names}
    return payload


# --------------------------------------------------------------------------- terminal


def console() -> "Console":
    from rich.console import Console

    return Console()


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def print_ranking_table(payload: dict[str, Any], out: "Console | None" = None) -> None:
    from rich.table import Table

    systems: dict[str, dict[str, float]] = payload["systems"]
    metrics = [m for m in next(iter(systems.values())) if m != "ms_per_query"]
    table = Table(title=f"{payload['suite']} (n={payload['n']})")
    table.add_column("system", no_wrap=True)
    for m in metrics:
        table.add_column(m, justify="right")
    table.add_column("ms/query", justify="right")
    for name in sorted(systems, key=lambda s: SYSTEM_ORDER.index(s) if s in SYSTEM_ORDER else 99):
        row = systems[name]
        table.add_row(name, *(_fmt(row[m]) for m in metrics), _fmt(row["ms_per_query"]),
                      style="bold" if name == "segue" else None)
    if "segue_vs_bm25" in payload:
        table.add_row("segue ÷ bm25", *(_fmt(payload["segue_vs_bm25"][m]) for m in metrics), "", style="italic")
    if "personalisation_gain" in payload:
        table.add_row("personalised − segue", *(_fmt(payload["personalisation_gain"][m]) for m in metrics), "",
                      style="italic")
    published = payload.get("published")
    if published:
        table.add_section()
        for name, row in published["systems"].items():
            table.add_row(f"paper {name}†", *(_fmt(row.get(m)) for m in metrics), "", style="dim")
        table.caption = f"† published {published['split']} {published['average']} figures on {published['corpus']}"
    (out or console()).print(table)


def print_summary_table(payload: dict[str, Any], out: "Console | None" = None) -> None:
    """A two-column table of a non-ranking suite's scalar figures (nested dicts flattened with '.')."""
    from rich.table import Table

    table = Table(title=str(payload.get("suite", "")))
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in flatten(payload).items():
        if key != "suite":
            table.add_row(key, _fmt(value))
    (out or console()).print(table)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif not isinstance(value, list):
            out[name] = value
    return out


def print_result(result: SuiteResult) -> None:
    if "systems" in result.payload:
        print_ranking_table(result.payload)
    else:
        print_summary_table(result.payload)


def write_json(result: SuiteResult, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{result.suite}.json"
    path.write_text(json.dumps(result.payload, indent=2, ensure_ascii=False, default=str))
    return path


# --------------------------------------------------------------------------- Markdown report


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_systems(payload: dict[str, Any], path: Path) -> Path:
    """Grouped bars: each metric, one bar per system."""
    plt = _pyplot()
    systems = payload["systems"]
    names = [s for s in SYSTEM_ORDER if s in systems] + [s for s in systems if s not in SYSTEM_ORDER]
    metrics = [m for m in systems[names[0]] if m != "ms_per_query"]
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, name in enumerate(names):
        xs = [j + i * width for j in range(len(metrics))]
        ax.bar(xs, [systems[name][m] for m in metrics], width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(metrics))], metrics)
    ax.set_ylabel("score")
    ax.set_title(f"{payload['suite']}: Segue against baselines (n={payload['n']})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_by_turn(payload: dict[str, Any], path: Path, metric: str = "hits@10") -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in SYSTEM_ORDER:
        values = payload["by_turn"].get(name, {}).get(metric)
        if values:
            ax.plot(range(len(values)), values, marker="o", label=name)
    ax.set_xlabel("turn")
    ax.set_ylabel(metric)
    ax.set_title(f"CPCD {metric} by turn")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(latencies: Sequence[float], title: str, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(list(latencies), bins=40)
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("requests")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def markdown_table(payload: dict[str, Any]) -> str:
    if "systems" not in payload:
        rows = ["| figure | value |", "| --- | ---: |"]
        rows += [f"| {k} | {_fmt(v)} |" for k, v in flatten(payload).items() if k != "suite"]
        return "\n".join(rows)
    systems = payload["systems"]
    metrics = [m for m in next(iter(systems.values())) if m != "ms_per_query"]
    rows = ["| system | " + " | ".join(metrics) + " | ms/query |", "| --- |" + " ---: |" * (len(metrics) + 1)]
    for name in sorted(systems, key=lambda s: SYSTEM_ORDER.index(s) if s in SYSTEM_ORDER else 99):
        label = f"**{name}**" if name == "segue" else name
        rows.append(f"| {label} | " + " | ".join(_fmt(systems[name][m]) for m in metrics)
                    + f" | {_fmt(systems[name]['ms_per_query'])} |")
    if "segue_vs_bm25" in payload:
        rows.append("| *segue ÷ bm25* | " + " | ".join(_fmt(payload["segue_vs_bm25"][m]) for m in metrics) + " | |")
    published = payload.get("published")
    if published:
        for name, row in published["systems"].items():
            rows.append(f"| paper {name}† | " + " | ".join(_fmt(row.get(m)) for m in metrics) + " | |")
        rows.append("")
        rows.append(f"† published {published['split']} {published['average']} figures on {published['corpus']}.")
    return "\n".join(rows)


def write_report(results: Sequence[SuiteResult], out_dir: Path, notes: Sequence[str] = ()) -> Path:
    """`report.md` in `out_dir`: one section per suite (table, plots), each suite's JSON beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Segue offline evaluation", ""]
    lines += [f"- {note}" for note in notes]
    if notes:
        lines.append("")
    for result in results:
        payload = result.payload
        write_json(result, out_dir)
        lines += [f"## {result.suite}", "", markdown_table(payload), ""]
        if "systems" in payload:
            png = plot_systems(payload, out_dir / f"{result.suite}-systems.png")
            lines += [f"![{result.suite} against baselines]({png.name})", ""]
        if "by_turn" in payload:
            png = plot_by_turn(payload, out_dir / f"{result.suite}-by-turn.png")
            lines += [f"![{result.suite} by turn]({png.name})", ""]
        for system, values in result.latencies_ms.items():
            if values:
                png = plot_latency(values, f"{result.suite}: {system} latency", out_dir / f"{result.suite}-{system}-latency.png")
                lines += [f"![{result.suite} {system} latency]({png.name})", ""]
        setup = payload.get("setup")
        if setup:
            lines += ["Setup: " + "; ".join(f"{k}: {v}" for k, v in flatten(setup).items()), ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path


def emit(result: SuiteResult, as_json: bool, out_dir: Path | None) -> None:
    """Print the suite's JSON (`--json`) or its table, and write the JSON into `out_dir` when given."""
    if as_json:
        print(json.dumps(result.payload, indent=2, ensure_ascii=False, default=str))
    else:
        print_result(result)
    if out_dir is not None:
        path = write_json(result, out_dir)
        if not as_json:
            console().print(f"wrote {path}")


def run_all(settings: Any, out_dir: Path, limit: int | None = None, n_constraints: int = 300,
            explanations: int = 10, progress: bool = True) -> tuple[list[SuiteResult], Path]:
    """Every suite on the defaults (`limit` caps the queries, dialogs and requests of each), then the report."""
    import time

    from assistant.api import MusicAssistant
    from assistant.llm import get_llm
    from evals.constraints import run_constraints
    from evals.conversations import default_conversations, run_conversations
    from evals.corpora import hidden_titles_index
    from evals.cpcd import run_cpcd
    from evals.explanations import run_explanations
    from evals.requests import default_request_files, load_requests, run_requests
    from evals.titles import run_titles

    results: list[SuiteResult] = []
    notes: list[str] = []

    def timed(name: str, run: Any) -> None:
        start = time.perf_counter()
        result = run()
        results.append(result)
        notes.append(f"{name}: {time.perf_counter() - start:.0f} s wall time")
        print_result(result)

    start = time.perf_counter()
    built = hidden_titles_index(settings, "eval", progress)
    notes.append(f"titles index (eval playlists hidden): {time.perf_counter() - start:.0f} s wall time")
    timed("titles", lambda: run_titles(settings, 0, limit, progress=progress, built=built))
    timed("titles --seeds 5", lambda: run_titles(settings, 5, limit, progress=progress, built=built))
    timed("cpcd", lambda: run_cpcd(settings, limit=limit, progress=progress))
    assistant = MusicAssistant(settings)
    timed("constraints", lambda: run_constraints(assistant, n_constraints, 0, progress))
    requests = load_requests(default_request_files())
    timed("requests", lambda: run_requests(assistant, requests[:limit], progress=progress))
    timed("conversations", lambda: run_conversations(assistant, default_conversations(limit=limit), progress))
    explained = requests[:min(explanations, limit or explanations)]
    timed("explanations", lambda: run_explanations(assistant, get_llm(settings), explained, progress=progress))
    return results, write_report(results, out_dir, notes)
