"""Listener profiles in one SQLite file: likes and dislikes (tracks and artists) and listening history.

The file lives at `settings.data_dir / "profiles.sqlite"` and is created on first write. Before anything is
written, an existing file is opened read-only and checked (`PRAGMA quick_check`, schema version): a file
that is not a Segue profile database raises `ProfileCorruptError` and is never touched, so a damaged file
can still be recovered by hand. Every write runs in one transaction: an import is all-or-nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.errors import SegueError
from retrieval.index import artist_key

SCHEMA_VERSION = 1
PROFILES_FILE = "profiles.sqlite"
MAX_USER_CHARS = 64

_SCHEMA = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE feedback (
    user TEXT NOT NULL REFERENCES users(name),
    track_id TEXT NOT NULL,
    liked INTEGER NOT NULL CHECK (liked IN (0, 1)),
    ts REAL NOT NULL,
    PRIMARY KEY (user, track_id)
);
CREATE TABLE artist_feedback (
    user TEXT NOT NULL REFERENCES users(name),
    artist_key TEXT NOT NULL,
    artist TEXT NOT NULL,
    liked INTEGER NOT NULL CHECK (liked IN (0, 1)),
    ts REAL NOT NULL,
    PRIMARY KEY (user, artist_key)
);
CREATE TABLE plays (
    user TEXT NOT NULL REFERENCES users(name),
    track_id TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    last_played REAL,
    PRIMARY KEY (user, track_id)
);
"""
_TABLES = {"users", "feedback", "artist_feedback", "plays"}


def _create_schema(con: sqlite3.Connection) -> None:
    # Statement by statement: `executescript` would commit the open transaction first.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class ProfileError(SegueError):
    """A profile request that cannot be served (bad user name, unwritable file)."""


class ProfileCorruptError(ProfileError):
    """The profile file exists but is not a readable Segue profile database; it is left as it is."""


@dataclass(frozen=True)
class Play:
    track_id: str
    count: int
    last_played: float | None = None  # Unix time


@dataclass
class Profile:
    """Everything known about one listener. Track ids are catalog ids; artists are display names."""

    user: str
    liked_tracks: list[str] = field(default_factory=list)
    disliked_tracks: list[str] = field(default_factory=list)
    liked_artists: list[str] = field(default_factory=list)
    disliked_artists: list[str] = field(default_factory=list)
    plays: dict[str, Play] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.liked_tracks or self.disliked_tracks or self.liked_artists or self.disliked_artists
                    or self.plays)


def check_user(name: str) -> str:
    """The user name, stripped; raises ProfileError for an empty, overlong or control-character name."""
    name = name.strip()
    if not name or len(name) > MAX_USER_CHARS or any(ord(c) < 32 for c in name):
        raise ProfileError(f"invalid user name {name[:MAX_USER_CHARS]!r}: use 1-{MAX_USER_CHARS} printable characters")
    return name


def store_path(data_dir: Path) -> Path:
    return data_dir / PROFILES_FILE


class ProfileStore:
    """Profiles of several named listeners in the SQLite file `path`.

    One short-lived connection per operation, so the store can be shared by the UI's worker threads.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._checked = False

    # ------------------------------------------------------------------ opening

    def check(self) -> None:
        """Raise ProfileCorruptError unless the file is absent or a healthy profile database of a known version.

        The check opens the file read-only, so even a failing check cannot modify it."""
        if self._checked or not self.path.exists():
            return
        if self.path.is_dir():
            raise ProfileCorruptError(f"profile path {self.path} is a folder: move it away or set SEGUE_DATA_DIR")
        journal = self.path.with_name(self.path.name + "-journal")
        try:
            if journal.exists():
                # A writer was killed mid-transaction: its journal holds the pages to put back, and only a
                # read-write connection rolls them back (SQLite's own recovery, to the last committed state).
                with closing(sqlite3.connect(self.path, timeout=5)) as recover:
                    recover.execute("SELECT count(*) FROM sqlite_master").fetchone()
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        except sqlite3.OperationalError as exc:
            raise ProfileError(f"profile database {self.path} cannot be read now ({exc}): try again") from None
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from None
        try:
            result = con.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                raise self._corrupt(result[0] if result else "quick_check returned nothing")
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError as exc:  # locked by a writer for longer than the timeout
            raise ProfileError(f"profile database {self.path} cannot be read now ({exc}): try again") from None
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from None
        finally:
            con.close()
        if version > SCHEMA_VERSION:
            raise ProfileCorruptError(
                f"profile database {self.path} has schema version {version}, newer than this Segue's "
                f"{SCHEMA_VERSION}: upgrade Segue")
        if version == SCHEMA_VERSION and not _TABLES <= tables:
            raise self._corrupt(f"tables missing: {', '.join(sorted(_TABLES - tables))}")
        if version == 0 and tables:
            raise self._corrupt("it holds tables of another program")
        self._checked = True

    def _corrupt(self, why: object) -> ProfileCorruptError:
        detail = " ".join(str(why).split())
        return ProfileCorruptError(
            f"profile database {self.path} is unreadable ({detail}): move it away to start afresh; it was not modified")

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction (committed on success, rolled back on any error)."""
        self.check()
        if not write and not self.path.exists():
            con = sqlite3.connect(":memory:", isolation_level=None)  # nothing stored yet: read an empty schema
            _create_schema(con)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            except (OSError, sqlite3.Error) as exc:
                raise ProfileError(f"cannot open profile database {self.path}: {exc}") from None
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            if write and con.execute("PRAGMA user_version").fetchone()[0] == 0:
                _create_schema(con)
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            if con.in_transaction:
                try:
                    con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # closing the connection rolls back as well; keep the first error
            if isinstance(exc, sqlite3.OperationalError):
                raise ProfileError(f"profile database {self.path} is busy or not writable ({exc}): try again") from None
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                raise self._corrupt(exc) from None
            raise
        finally:
            con.close()

    # ------------------------------------------------------------------ reading

    def users(self) -> list[str]:
        with self._connect(write=False) as con:
            return [r[0] for r in con.execute("SELECT name FROM users ORDER BY name")]

    def profile(self, user: str) -> Profile:
        """The profile of `user` (empty when the user is unknown: a new listener)."""
        user = check_user(user)
        with self._connect(write=False) as con:
            out = Profile(user)
            for track_id, liked in con.execute("SELECT track_id, liked FROM feedback WHERE user = ? ORDER BY ts",
                                               (user,)):
                (out.liked_tracks if liked else out.disliked_tracks).append(track_id)
            for artist, liked in con.execute(
                    "SELECT artist, liked FROM artist_feedback WHERE user = ? ORDER BY ts", (user,)):
                (out.liked_artists if liked else out.disliked_artists).append(artist)
            for track_id, count, last in con.execute(
                    "SELECT track_id, count, last_played FROM plays WHERE user = ?", (user,)):
                out.plays[track_id] = Play(track_id, count, last)
            return out

    # ------------------------------------------------------------------ writing

    @staticmethod
    def _ensure_user(con: sqlite3.Connection, user: str) -> None:
        con.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", (user, time.time()))

    def add_user(self, user: str) -> str:
        user = check_user(user)
        with self._connect(write=True) as con:
            self._ensure_user(con, user)
        return user

    def set_feedback(self, user: str, track_id: str, liked: bool | None) -> None:
        """Record a like (True) or dislike (False) of a track; None forgets the feedback."""
        self.apply(user, track_feedback={track_id: liked})

    def set_artist_feedback(self, user: str, artist: str, liked: bool | None) -> None:
        self.apply(user, artist_feedback={artist: liked})

    def apply(self, user: str, *, plays: Iterable[Play] = (), track_feedback: dict[str, bool | None] | None = None,
              artist_feedback: dict[str, bool | None] | None = None) -> None:
        """Write plays and feedback in one transaction: all of it is stored, or none.

        A play count already stored is kept when it is higher, so importing the same library export twice
        (its counts are cumulative) does not double them."""
        user = check_user(user)
        now = time.time()
        with self._connect(write=True) as con:
            self._ensure_user(con, user)
            for p in plays:
                con.execute(
                    "INSERT INTO plays (user, track_id, count, last_played) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (user, track_id) DO UPDATE SET count = max(count, excluded.count), "
                    "last_played = coalesce(max(last_played, excluded.last_played), last_played, excluded.last_played)",
                    (user, p.track_id, p.count, p.last_played))
            for track_id, liked in (track_feedback or {}).items():
                if liked is None:
                    con.execute("DELETE FROM feedback WHERE user = ? AND track_id = ?", (user, track_id))
                else:
                    con.execute("INSERT OR REPLACE INTO feedback (user, track_id, liked, ts) VALUES (?, ?, ?, ?)",
                                (user, track_id, int(liked), now))
            for artist, liked in (artist_feedback or {}).items():
                key = artist_key(artist)
                if liked is None:
                    con.execute("DELETE FROM artist_feedback WHERE user = ? AND artist_key = ?", (user, key))
                else:
                    con.execute("INSERT OR REPLACE INTO artist_feedback (user, artist_key, artist, liked, ts) "
                                "VALUES (?, ?, ?, ?, ?)", (user, key, artist.strip(), int(liked), now))
