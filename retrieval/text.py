"""The text of a track that gets embedded and searched: its names plus words for its audio features."""

from __future__ import annotations

from retrieval.catalog import Track


def _band(value: float | None, low: float, high: float, words: tuple[str, str, str]) -> str | None:
    if value is None:
        return None
    if value < low:
        return words[0]
    if value > high:
        return words[2]
    return words[1] or None


def feature_words(track: Track) -> list[str]:
    """Words a listener would use for the track's sound, e.g. "high energy", "danceable", "slow tempo"."""
    words = [
        _band(track.energy, 0.4, 0.75, ("calm low energy", "", "high energy")),
        _band(track.danceability, 0.45, 0.72, ("not danceable", "", "danceable")),
        _band(track.valence, 0.3, 0.7, ("sad melancholic", "", "happy upbeat")),
        _band(track.acousticness, 0.1, 0.6, ("", "", "acoustic")),
        _band(track.instrumentalness, 0.5, 0.5, ("", "", "instrumental")),
        _band(track.speechiness, 0.33, 0.33, ("", "", "spoken word rap vocals")),
        _band(track.liveness, 0.8, 0.8, ("", "", "live recording")),
    ]
    if track.tempo is not None and track.tempo > 0:
        words.append("slow tempo" if track.tempo < 90 else "fast tempo" if track.tempo > 135 else "mid tempo")
    return [w for w in words if w]


def decade_word(year: int | None) -> str | None:
    if year is None:
        return None
    decade = year // 10 * 10
    return f"{decade % 100:02d}s" if 1900 <= decade < 2000 else f"{decade}s"


def track_text(track: Track, genres: list[str] | None = None, subgenres: list[str] | None = None) -> str:
    """One line describing the track; `genres`/`subgenres` override the track's labels (the titles eval hides some)."""
    genres = track.genres if genres is None else genres
    subgenres = track.subgenres if subgenres is None else subgenres
    parts = [f"{track.title} by {track.artist}"]
    if track.album and track.album != track.title:
        parts.append(f"from {track.album}")
    if track.year:
        parts.append(f"{track.year} ({decade_word(track.year)})")
    labels = list(dict.fromkeys(subgenres + genres))
    if labels:
        parts.append(", ".join(labels))
    words = feature_words(track)
    if words:
        parts.append(", ".join(words))
    return "; ".join(parts)
