"""Errors meant for the user: each message is one line that says what to do."""


class SegueError(Exception):
    """Base of every expected failure; the faces (CLI, UI) print its message instead of a traceback."""


class IndexMissingError(SegueError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no index in {where}: run `segue ingest` first")


class IndexCorruptError(SegueError):
    """The index exists but cannot be read; nothing is overwritten."""


class StoreUnavailableError(SegueError):
    """The Chroma server cannot be reached."""
