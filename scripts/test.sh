#!/usr/bin/env bash
# Quickstart 2: set up, check (lint, format, import layers, types), then run the
# whole test suite (unit, store, engine, conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check --no-cache src tests benchmarks examples
.venv/bin/ruff format --check --no-cache src tests benchmarks examples
.venv/bin/lint-imports --no-cache          # layers and the SDK/server seam (pyproject.toml)
.venv/bin/mypy                             # strict on src/ (pyproject.toml)
exec .venv/bin/python -m pytest -q "$@"
