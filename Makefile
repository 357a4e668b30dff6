# Hoard. `make demo` sets up, builds and tries it; `make test` runs the tests.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
# The in-process whisper.cpp engine is built in (tag whisper): `make setup`
# builds its static libraries from PyPI's pywhispercpp source
# (scripts/whisper.sh). WHISPER=0 builds without it: voice notes then need
# an OpenAI-compatible transcription server, and `hoard status` says so.
WHISPER ?= 1
WHISPER_DIR ?= $(CURDIR)/.cache/whisper.cpp
ifeq ($(WHISPER),1)
TAGS ?= sqlite_fts5 whisper
export C_INCLUDE_PATH := $(WHISPER_DIR)/include:$(WHISPER_DIR)/ggml/include
export LIBRARY_PATH := $(WHISPER_DIR)/build/src:$(WHISPER_DIR)/build/ggml/src
else
TAGS ?= sqlite_fts5
endif
# libgomp (whisper.cpp's threads) spins while it waits unless told not to;
# hoard sets this itself at start, the tests need it from here.
export OMP_WAIT_POLICY ?= passive
export CGO_ENABLED := 1
SHARED ?= $(abspath ../shared)
export SHARED
DEMO_VAULT ?= $(CURDIR)/.cache/demo-vault
# The built-in chat runner: llama.cpp's llama-server, built from PyPI's
# llama-cpp-python source (scripts/llama.sh) into bin/ beside hoard.
LLAMA_DIR ?= $(CURDIR)/.cache/llama.cpp

.PHONY: all setup ort models build desktop whisper llama test test-ui test-desktop frontend frontend-deps types test-models fuzz bench bench-ui demo clean

all: build

# MODELS: the real models `make models` installs (names in `hoard models
# ls`): by default the default embedder, the default whisper model, the
# speech detector and the test chat model.
MODELS ?= bge-small-en-v1.5 whisper-base silero-vad smollm2-135m-instruct
export MODELS
# The tests compare every real embedder with Python's onnxruntime, and the
# browser test downloads the int8 bge-small in Settings: `make test`
# installs them all.
TEST_MODELS := bge-small-en-v1.5 bge-small-en-v1.5-q bge-small-en-v1.5-int8 e5-small-v2 e5-small-v2-q all-MiniLM-L6-v2 all-MiniLM-L6-v2-q \
	whisper-tiny.en whisper-base silero-vad smollm2-135m-instruct
test: MODELS = $(TEST_MODELS)

setup:
	@bash scripts/setup.sh
	@bash scripts/ort.sh
	@if [ "$(WHISPER)" = 1 ]; then bash scripts/whisper.sh $(WHISPER_DIR); fi
	@bash scripts/llama.sh $(LLAMA_DIR)
	@bash scripts/models.sh

# The ONNX Runtime library in lib/ (from npm's onnxruntime-node).
ort:
	@bash scripts/ort.sh

# Real models from the Maven Central jars that carry them (Maven's client,
# sha256 checked, run once, installed with `hoard models import`).
models:
	@bash scripts/models.sh

build: frontend
	$(GO) build -tags "$(TAGS)" -o bin/hoard .

# The desktop app (Wails; apt libgtk-3-dev libwebkit2gtk-4.1-dev): `hoard`
# alone opens the window, every command still works. `wails build` makes
# the same binary from wails.json.
DESKTOP_TAGS := $(TAGS) desktop production webkit2_41
desktop: frontend
	$(GO) build -tags "$(DESKTOP_TAGS)" -o bin/hoard-desktop .

# whisper.cpp's static libraries alone (make setup builds them).
whisper:
	bash scripts/whisper.sh $(WHISPER_DIR)

# llama-server alone, into bin/ (make setup builds it; about 11 minutes on
# 2 cores the first time, then a no-op).
llama:
	bash scripts/llama.sh $(LLAMA_DIR)

test: setup frontend-deps
	$(GO) vet -tags "$(TAGS)" ./...
	$(GO) test -tags "$(TAGS)" -count=1 ./...
	$(MAKE) test-ui
	$(MAKE) test-desktop

# The UI (frontend/: Svelte 5 + TypeScript + Vite). npm ci runs no install
# scripts; it reruns only when the lock file changes.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --ignore-scripts
frontend-deps: frontend/node_modules/.package-lock.json

frontend: frontend-deps
	cd frontend && npm run build

# The UI's TypeScript types for the API (frontend/src/lib/wire.ts) and the
# OpenAPI document they come from, generated from backend/api/wire; a Go
# test fails when the checked-in ones differ from what the Go types make.
types: frontend-deps
	$(GO) run -tags sqlite_fts5 ./backend/api/wire/wiregen frontend

# svelte-check (types in components and modules); vitest: the UI's logic
# and components, the API client against a real `bin/hoard serve`; then end to end in Debian's Chromium (playwright-core),
# with screenshots of every screen in frontend/test-results/e2e.
test-ui: frontend-deps build
	cd frontend && npm run check
	cd frontend && npm test
	cd frontend && npm run e2e

# The desktop build under Xvfb: the window shows the Library, quits cleanly
# (screenshot in frontend/test-results/desktop).
test-desktop: desktop
	$(GO) vet -tags "$(DESKTOP_TAGS)" . ./app/
	$(GO) test -tags "$(DESKTOP_TAGS)" -count=1 ./app/

# Runs every fuzz target briefly (FUZZTIME each).
FUZZTIME ?= 15s
fuzz:
	@for t in FuzzText FuzzMarkdown FuzzHTML FuzzPDF FuzzDOCX FuzzODT FuzzEPUB FuzzBBoxLayout FuzzPageLabels; do \
		$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./backend/extract/ || exit 1; done
	$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./backend/search/
	$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz '^FuzzWords$$' -fuzztime $(FUZZTIME) ./backend/text/
	$(GO) test -run '^$$' -fuzz '^FuzzFind$$' -fuzztime $(FUZZTIME) ./backend/entity/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./models/ct2ggml/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./backend/onnxgraph/
	$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz '^FuzzDecodeMarks$$' -fuzztime $(FUZZTIME) ./backend/store/
	$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz '^FuzzLineTransport$$' -fuzztime $(FUZZTIME) ./backend/mcpserver/
	$(GO) test -tags "$(TAGS)" -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./backend/portable/

# Ingest throughput and search latency on SciFact (../shared); lexical
# ingest and vault size against Bleve and a naive FTS5 table at 1x and 8x
# the text (scripts/bench-lexical.sh; ROUNDS, ROUNDS8 rounds); retrieval
# with the default embedder on SciFact and the PostgreSQL manual (hybrid,
# keywords alone, vectors alone); embedding throughput of the real
# bge-small (fp32, int8) against transformers.js; vector and hybrid search latency at
# VECTOR_SIZES chunks (add 1000000 for the 1M figure: about 15 minutes a kind),
# against LanceDB where node is installed (scripts/bench-vectors.sh);
# watched folders: saved note to searchable, throughput and peak memory;
# the built-in chat runner and the honesty checks (hoard bench llm).
VECTOR_SIZES ?= 100000
bench: setup build
	./bin/hoard bench ingest --corpus $(SHARED)/datasets/scifact/corpus.jsonl \
		--queries $(SHARED)/datasets/scifact/queries.jsonl --qrels $(SHARED)/datasets/scifact/qrels/test.tsv
	SHARED=$(SHARED) bash scripts/bench-lexical.sh
	./bin/hoard bench retrieval --dataset $(SHARED)/datasets/scifact --model bge-small-en-v1.5 --stages ";-dense;-keyword"
	./bin/hoard bench retrieval --dataset /usr/share/doc/postgresql-doc-15/html --model bge-small-en-v1.5 --stages ";-dense;-keyword"
	MODELS="bge-small-en-v1.5 bge-small-en-v1.5-q bge-small-en-v1.5-int8" bash scripts/models.sh
	SHARED=$(SHARED) bash scripts/bench-embed.sh
	MODELS="whisper-tiny.en whisper-base" bash scripts/models.sh
	SHARED=$(SHARED) bash scripts/bench-transcribe.sh
	./bin/hoard bench vectors --n $(VECTOR_SIZES) --clustered
	./bin/hoard bench vectors --n $(VECTOR_SIZES)
	for n in $$(echo $(VECTOR_SIZES) | tr , ' '); do N=$$n bash scripts/bench-vectors.sh; done
	./bin/hoard bench watch
	./bin/hoard bench llm --dataset $(SHARED)/datasets/2wiki-beir --shared $(SHARED) --threads 2
	$(MAKE) bench-ui

# The library screen with 20,000 documents: time to first render, scrolling,
# and the API's list latency (Chromium against hoard serve).
bench-ui: build frontend-deps
	cd frontend && npm run bench

# Regenerates the tiny test models and their PyTorch references
# (needs Debian's python3-torch and python3-onnx).
test-models:
	/usr/bin/python3 models/scripts/gen_bert.py tiny models/testdata

# Builds hoard, indexes a sample folder and searches it.
demo: setup build
	@rm -rf $(DEMO_VAULT)
	@src="$(SHARED)/samples/docs"; [ -d "$$src" ] || src="$(CURDIR)/docs"; \
	echo "== hoard add $$src"; ./bin/hoard --vault $(DEMO_VAULT) add "$$src"; \
	echo "== hoard search \"quality assurance\""; ./bin/hoard --vault $(DEMO_VAULT) search --limit 3 "quality assurance"; \
	echo "== hoard search \"emergency relief supplies shipment\" (no word of it is in the memo it finds: the embedder reads meaning)"; \
	./bin/hoard --vault $(DEMO_VAULT) search --limit 1 "emergency relief supplies shipment"; \
	echo "== hoard status"; ./bin/hoard --vault $(DEMO_VAULT) status

clean:
	rm -rf bin build/bin .cache frontend/node_modules frontend/test-results
	find frontend/dist -mindepth 1 ! -name .keep -delete 2>/dev/null || true
