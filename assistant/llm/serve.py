"""`python -m assistant.llm.serve --port N`: the embedded model as an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys

from assistant.llm.embedded import serve
from assistant.llm.errors import LLMError
from retrieval.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="TCP port on 127.0.0.1 (default 8080)")
    args = parser.parse_args(argv)
    try:
        serve(get_settings(), args.port)
    except LLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
