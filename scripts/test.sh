#!/usr/bin/env bash
# The whole test suite: system packages the browser tests need, then pytest (store tests run against the
# embedded store and against a real Chroma server started here on a loopback port).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
export OMP_WAIT_POLICY=PASSIVE TOKENIZERS_PARALLELISM=false
.venv/bin/python -m pytest -q "$@"
