#!/usr/bin/env bash
# Quickstart 2: set up, then run the whole test suite (unit, store, engine, conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check --no-cache src tests benchmarks examples
exec .venv/bin/python -m pytest -q "$@"
