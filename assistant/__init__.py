"""Segue's assistant: `from assistant import MusicAssistant`.

The public names are imported on first access, so `import assistant` (and the CLI's `--help`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api import MusicAssistant
    from assistant.playlist import Playlist
    from assistant.spec import PlaylistSpec

__all__ = ["MusicAssistant", "Playlist", "PlaylistSpec"]

_WHERE = {"MusicAssistant": "assistant.api", "Playlist": "assistant.playlist", "PlaylistSpec": "assistant.spec"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
