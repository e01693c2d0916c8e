#!/usr/bin/env bash
# The whole test suite: system packages the browser tests need, then pytest (store tests run against the
# embedded store and against a real Chroma server started here on a loopback port).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
export OMP_WAIT_POLICY=PASSIVE TOKENIZERS_PARALLELISM=false

# The browser tests (tests/test_ui.py) drive Debian's Chromium at /usr/bin/chromium; Playwright's own
# browser download is never used.
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

# A real Chroma server on a free loopback port for the server-mode store tests (SEGUE_TEST_CHROMA_URL);
# stopped on exit, however pytest ends.
CHROMA_DIR=$(mktemp -d)
CHROMA_PORT=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/chroma run --path "$CHROMA_DIR/db" --host 127.0.0.1 --port "$CHROMA_PORT" >"$CHROMA_DIR/server.log" 2>&1 &
CHROMA_PID=$!
trap 'kill "$CHROMA_PID" 2>/dev/null || true; wait "$CHROMA_PID" 2>/dev/null || true; rm -rf "$CHROMA_DIR"' EXIT
export SEGUE_TEST_CHROMA_URL="http://127.0.0.1:$CHROMA_PORT"
.venv/bin/python - <<'EOF' || { cat "$CHROMA_DIR/server.log"; exit 1; }
import os, time
from retrieval.store import ping_server
deadline = time.monotonic() + 60
while True:
    try:
        ping_server(os.environ["SEGUE_TEST_CHROMA_URL"])
        break
    except Exception as exc:
        if time.monotonic() > deadline:
            raise SystemExit(f"Chroma server did not start: {exc}")
        time.sleep(0.2)
EOF

.venv/bin/python -m pytest -q "$@"
