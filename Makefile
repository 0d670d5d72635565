# eopack — the README's two commands are `make demo` and `make test`.
.PHONY: demo test build bench

build:
	go build -o bin/eopack ./cmd/eopack

# The main job: package a real EO product, push it to the embedded registry, pull it back.
demo:
	scripts/demo.sh

# Every test: unit, integration with the real peers, OCI conformance.
test:
	scripts/test.sh

# Benchmarks against the pinned ORAS CLI and distribution registry (not part of `test`).
bench:
	bench/run.sh
