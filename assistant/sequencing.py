"""Track order: as retrieved, by energy (rising, falling, arc), as a smooth DJ-style chain, or with each artist's
tracks spread apart.

The smooth order minimises a transition cost between neighbours that combines tempo (a track at half or
double the tempo mixes fine), energy and harmonic distance on the Camelot wheel. Unknown features (None)
never crash: they cost a neutral amount, and energy orders place them at the median energy.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from retrieval.catalog import Track
from retrieval.index import artist_key

# A transition's cost is the sum of these parts, each about 1.0 for a clearly audible jump.
TEMPO_SCALE_BPM = 16.0
ENERGY_SCALE = 0.25
KEY_WEIGHT = 0.5
UNKNOWN_COST = 0.5  # a part whose feature is unknown on either side
PEAK_AT = 2 / 3  # where an arc reaches its highest energy
TWO_OPT_PASSES = 6


def order_tracks(tracks: Sequence[Track], ordering: str) -> list[Track]:
    """`tracks` in the order a spec's `ordering` asks for; "retrieved" keeps the given order."""
    tracks = list(tracks)
    if len(tracks) < 3 and ordering in ("arc", "smooth"):
        return tracks
    if ordering == "rising":
        return _by_energy(tracks, descending=False)
    if ordering == "falling":
        return _by_energy(tracks, descending=True)
    if ordering == "arc":
        return energy_arc(tracks)
    if ordering == "smooth":
        return smooth(tracks)
    return tracks


def spread_artists(tracks: Sequence[Track]) -> list[Track]:
    """The tracks with no artist twice in a row where their numbers allow it, each moved as little as a greedy
    pass can: every place takes the earliest track left by another artist than the one before, unless taking it
    would leave an artist too many tracks to keep apart (more than every other place of what is left). Where no
    order keeps them all apart, the artist with the most tracks left goes first, which leaves the fewest pairs."""
    left = list(tracks)
    out: list[Track] = []
    while left:
        last = artist_key(out[-1].artist) if out else None
        others = [i for i, t in enumerate(left) if artist_key(t.artist) != last]
        if not others:
            out.append(left.pop(0))
            continue
        counts = Counter(artist_key(t.artist) for t in left)
        pick = next((i for i in others if _apart(left[:i] + left[i + 1:], artist_key(left[i].artist))),
                    max(others, key=lambda i: (counts[artist_key(left[i].artist)], -i)))
        out.append(left.pop(pick))
    return out


def _apart(left: list[Track], last: str) -> bool:
    """Whether `left` can follow a track by `last` with no artist twice in a row."""
    counts = Counter(artist_key(t.artist) for t in left)
    n = len(left)
    return all(c <= (n + 1) // 2 for c in counts.values()) and counts.get(last, 0) <= n // 2


def _energies(tracks: Sequence[Track]) -> np.ndarray:
    values = np.array([np.nan if t.energy is None else t.energy for t in tracks], dtype=np.float64)
    known = values[~np.isnan(values)]
    return np.where(np.isnan(values), float(np.median(known)) if known.size else 0.5, values)


def _by_energy(tracks: list[Track], descending: bool) -> list[Track]:
    energy = _energies(tracks)
    order = np.argsort(-energy if descending else energy, kind="stable")
    return [tracks[i] for i in order]


def energy_arc(tracks: list[Track]) -> list[Track]:
    """Warm-up, peak, cool-down: energy rises to the highest track about 2/3 through, then falls."""
    n = len(tracks)
    energy = _energies(tracks)
    by_energy = list(np.argsort(-energy, kind="stable"))
    peak = by_energy.pop(0)
    rise_size = round(PEAK_AT * n) - 1
    fall_size = n - 1 - rise_size
    rise: list[int] = []
    fall: list[int] = []
    for i in by_energy:  # highest first: deal them out so both slopes descend from the peak evenly
        if len(fall) < fall_size and (len(rise) >= rise_size or len(fall) * rise_size < len(rise) * fall_size):
            fall.append(i)
        else:
            rise.append(i)
    order = rise[::-1] + [peak] + fall
    return [tracks[i] for i in order]


# ------------------------------------------------------------------------------------------ smooth


def camelot(key: int | None, mode: int | None) -> tuple[int, int] | None:
    """(number 1-12, 0 for minor "A" / 1 for major "B") on the Camelot wheel; None when unknown.

    Spotify's key is the pitch class (0 = C); C major is 8B, and a minor key sits on the number of its
    relative major (A minor = 8A)."""
    if key is None or mode is None or not 0 <= key <= 11 or mode not in (0, 1):
        return None
    pitch = key if mode == 1 else (key + 3) % 12
    return (7 * pitch + 7) % 12 + 1, mode


def camelot_distance(a: tuple[int, int] | None, b: tuple[int, int] | None) -> float:
    """Steps around the wheel, plus one for switching between minor and major (0 = same key)."""
    if a is None or b is None:
        return float("nan")
    steps = abs(a[0] - b[0]) % 12
    return float(min(steps, 12 - steps) + (a[1] != b[1]))


def _pairwise(values: np.ndarray) -> np.ndarray:
    return np.abs(values[:, None] - values[None, :])


def transition_costs(tracks: Sequence[Track]) -> np.ndarray:
    """Symmetric matrix of the cost of playing track j right after track i."""
    tempo = np.array([np.nan if not t.tempo else t.tempo for t in tracks], dtype=np.float64)
    # Half- and double-time mix as well as the same tempo.
    tempo_diff = np.fmin(_pairwise(tempo), np.fmin(np.abs(2 * tempo[:, None] - tempo[None, :]),
                                                   np.abs(tempo[:, None] - 2 * tempo[None, :])))
    tempo_cost = np.minimum(tempo_diff / TEMPO_SCALE_BPM, 2.0)
    energy = np.array([np.nan if t.energy is None else t.energy for t in tracks], dtype=np.float64)
    energy_cost = np.minimum(_pairwise(energy) / ENERGY_SCALE, 2.0)
    wheel = [camelot(t.key, t.mode) for t in tracks]
    key_cost = KEY_WEIGHT * np.array([[camelot_distance(a, b) for b in wheel] for a in wheel], dtype=np.float64)
    total = sum(np.where(np.isnan(part), UNKNOWN_COST, part) for part in (tempo_cost, energy_cost, key_cost))
    np.fill_diagonal(total, 0.0)
    return total


def path_cost(costs: np.ndarray, path: Sequence[int]) -> float:
    return float(sum(costs[a, b] for a, b in zip(path, path[1:])))


def smooth(tracks: list[Track]) -> list[Track]:
    """Nearest-neighbour chain from the first (most relevant) track, improved by 2-opt segment reversals."""
    costs = transition_costs(tracks)
    path = _nearest_neighbour(costs)
    path = _two_opt(costs, path)
    return [tracks[i] for i in path]


def _nearest_neighbour(costs: np.ndarray) -> list[int]:
    n = len(costs)
    path = [0]
    left = np.ones(n, dtype=bool)
    left[0] = False
    for _ in range(n - 1):
        row = np.where(left, costs[path[-1]], np.inf)
        nxt = int(np.argmin(row))
        path.append(nxt)
        left[nxt] = False
    return path


def _two_opt(costs: np.ndarray, path: list[int]) -> list[int]:
    """Reverse path[i..j] whenever that lowers the cost; the opener (path[0]) stays first.

    For an open path, reversing i..j swaps edges (i-1, i) + (j, j+1) for (i-1, j) + (i, j+1); all j of one i
    are evaluated at once."""
    p = np.array(path)
    n = len(p)
    for _ in range(TWO_OPT_PASSES):
        improved = False
        for i in range(1, n - 1):
            j = np.arange(i + 1, n)
            after = np.append(p[j[:-1] + 1], -1)  # -1: j is the last track, no edge after it
            old = costs[p[i - 1], p[i]] + np.where(after >= 0, costs[p[j], after], 0.0)
            new = costs[p[i - 1], p[j]] + np.where(after >= 0, costs[p[i], after], 0.0)
            gain = old - new
            best = int(np.argmax(gain))
            if gain[best] > 1e-9:
                end = int(j[best])
                p[i:end + 1] = p[i:end + 1][::-1].copy()
                improved = True
        if not improved:
            break
    return p.tolist()
