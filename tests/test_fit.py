"""`segue eval fit`: the objective, the cached-signal ranker against the live one, and coordinate ascent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.corpora import title_playlists, train_folds, training_catalog
from evals.cpcd import DEFAULT_DIALOGS, dialog_split
from evals.fit import Part, coordinate_ascent, cpcd_parts, objective, run_fit
from evals.systems import SegueRanker, catalog_request_reader
from retrieval.hybrid import HybridConfig
from retrieval.settings import Settings, get_settings


def test_objective_is_the_mean_ratio_to_the_bars_minus_half_the_shortfalls() -> None:
    # ratios 1, 1, 0.5 -> mean 0.8333, shortfall 0.5 -> 0.8333 - 0.25
    row = {"hits@10": 0.65, "mrr@10": 0.40, "recall@100": 0.20}
    assert objective([("cpcd", row)]) == pytest.approx(0.58333, abs=1e-4)
    # above every bar: no penalty, and more is better
    assert objective([("cpcd", {"hits@10": 1.3, "mrr@10": 0.8, "recall@100": 0.8})]) == pytest.approx(2.0)


@pytest.fixture(scope="module")
def fit_dialogs(tmp_path_factory) -> Path:
    """Four real dialogs: three of the `fit` split and one `holdout`."""
    picked: dict[str, list[dict]] = {"fit": [], "holdout": []}
    with gzip.open(DEFAULT_DIALOGS, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            split = dialog_split(d["id"])
            if len(picked[split]) < (3 if split == "fit" else 1):
                picked[split].append(d)
            if len(picked["fit"]) == 3 and len(picked["holdout"]) == 1:
                break
    path = tmp_path_factory.mktemp("fit") / "four.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in picked["fit"] + picked["holdout"]))
    return path


@pytest.fixture(scope="module")
def fit_settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("fitdata"), threads=1)


@pytest.fixture(scope="module")
def cpcd_fit_parts(fit_settings: Settings, fit_dialogs: Path) -> tuple[list[Part], list[Part]]:
    return cpcd_parts(fit_settings, fit_dialogs, None, progress=False)


def test_cached_signals_rank_as_the_live_searcher_does(cpcd_fit_parts) -> None:
    train, unseen = cpcd_fit_parts
    part = train[0]
    config = HybridConfig()
    live = SegueRanker(part.index, config, read_request=catalog_request_reader(part.index))
    from evals.fit import CachedSegue

    cached = CachedSegue(part.index, part.cached, config)
    same = [set(live.rank(q, 20)) == set(cached.rank(q, 20)) for q in part.queries]
    assert len(same) >= 5 and sum(same) >= 0.9 * len(same)  # float16 signals may swap a near-tie at the edge
    assert {q.group for q in part.queries}.isdisjoint({q.group for q in unseen[0].queries})


def test_coordinate_ascent_never_lowers_the_objective_and_touches_only_its_weights(cpcd_fit_parts) -> None:
    train, _ = cpcd_fit_parts
    start = HybridConfig()
    names = ("dense", "seed_dense")
    fitted = coordinate_ascent(train, start, names, conversation=True, rounds=1, grid=(0.0, 1.0, 8.0), progress=False)

    def value(c: HybridConfig) -> float:
        return objective([(p.bars, p.score(c)) for p in train])

    assert value(fitted) >= value(start)
    assert {k: v for k, v in fitted.conversation.items() if k not in names} == \
        {k: v for k, v in start.conversation.items() if k not in names}
    assert fitted.model_dump(exclude={"conversation"}) == start.model_dump(exclude={"conversation"})


def test_training_catalog_holds_nothing_only_the_eval_split_has(titles_base) -> None:
    tracks, playlists, known = titles_base
    world_tracks, world_playlists, world_known = training_catalog(titles_base)
    evals = {p.playlist_id for p in title_playlists(playlists, "eval")}
    assert evals and not evals & {p.playlist_id for p in world_playlists}
    assert len(world_playlists) == len(playlists) - len(evals) and world_known is known
    kept_tracks = {tid for p in world_playlists for tid in p.track_ids}
    assert {t.track_id for t in world_tracks} == kept_tracks  # every slice track is in some playlist
    assert len(world_tracks) < len(tracks)
    # The folds are cut from the training playlists only, and together hold all of them.
    folds = train_folds(world_playlists, 3)
    train = title_playlists(playlists, "train")
    assert sorted(p.playlist_id for f in folds for p in f) == sorted(p.playlist_id for p in train)


def test_fit_titles_on_folds_of_a_slice(titles_base, fit_settings: Settings) -> None:
    payload = run_fit(fit_settings, "titles", rounds=1, folds=2, grid=(0.0, 2.0), progress=False,
                      base=titles_base).payload
    assert payload["weights"] == "request" and payload["unseen"] == {}
    assert set(payload["train"]) == {"titles#0", "titles-seeds5#1", "titles#2", "titles-seeds5#3"}
    assert payload["objective"]["fitted"] >= payload["objective"]["start"]
    assert set(payload["fitted_weights"]) >= {"artist", "seed_dense", "artist_hits"}


def test_cli_fit_cpcd_json_and_a_bad_suite(fit_dialogs: Path, fit_settings: Settings, monkeypatch) -> None:
    from assistant.cli import app

    monkeypatch.setenv("SEGUE_DATA_DIR", str(fit_settings.data_dir))
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["eval", "fit", "cpcd", "--dialogs", str(fit_dialogs), "--rounds", "1", "--json"])
        bad = CliRunner().invoke(app, ["eval", "fit", "playlists"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["suite"] == "fit-cpcd" and payload["weights"] == "conversation"
    assert set(payload["unseen"]["cpcd#0"]) == {"start", "fitted"}
    assert payload["objective"]["fitted"] >= payload["objective"]["start"]
    assert bad.exit_code != 0 and "unknown suite 'playlists'" in str(bad.exception)  # main() prints it as one line
