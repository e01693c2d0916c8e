"""Prompt templates, kept as text files in `prompts/` at the repository root.

A template is plain text with `{name}` placeholders; literal braces are doubled (`{{` `}}`), the same
f-string syntax as LangChain's `PromptTemplate`, so a template can be handed to LangChain unchanged.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def prompt_path(name: str) -> Path:
    name = name.removesuffix(".txt")
    if not _NAME.match(name):
        raise ValueError(f"bad prompt name {name!r}: use lowercase letters, digits, '_' or '-'")
    return PROMPTS_DIR / f"{name}.txt"


def list_prompts() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))


@lru_cache(maxsize=128)
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.txt`, without its trailing newline."""
    path = prompt_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"no prompt {name!r} in {PROMPTS_DIR} (have: {', '.join(list_prompts())})")
    return path.read_text(encoding="utf-8").rstrip("\n")


def prompt_variables(name: str) -> set[str]:
    """The placeholders a template expects."""
    return {field for _, field, _, _ in string.Formatter().parse(load_prompt(name)) if field}


def render_prompt(name: str, **variables: object) -> str:
    """The template filled in; a missing or unexpected variable is an error, not a silent blank."""
    expected = prompt_variables(name)
    missing, unknown = expected - variables.keys(), variables.keys() - expected
    if missing or unknown:
        raise KeyError(f"prompt {name!r} expects {sorted(expected)}; missing {sorted(missing)}, unknown {sorted(unknown)}")
    return load_prompt(name).format(**variables)


def system_message(name: str = "system", **variables: object) -> dict[str, str]:
    """A chat message with the rendered template as the system prompt."""
    return {"role": "system", "content": render_prompt(name, **variables)}
