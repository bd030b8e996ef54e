# One command to serve the app, one to run the tests; each sets itself up (idempotent).
#   make serve   → venv + install, then `panel serve app/` on the built-in standard study (127.0.0.1 only)
#   make test    → venv + install (+ Debian chromium for browser tests), then the whole suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fly64-installed
PORT ?= 5006
# torch first, as the pair that imports beside pty-chi (see README "Install"); then the project
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1

.PHONY: install serve test chromium bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "fly64 needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PAIR)
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name fly64 --display-name "fly64" >/dev/null
	touch $(STAMP)

# loopback only: nobody else on the network reaches the dashboard (README "Serving to others")
serve: $(STAMP)
	$(VENV)/bin/panel serve app/ --address 127.0.0.1 --port $(PORT) \
		--allow-websocket-origin 127.0.0.1:$(PORT) --allow-websocket-origin localhost:$(PORT) --show

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) chromium
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider -q

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV)
