#!/usr/bin/env bash
# Quickstart 1: set up, then run the example durable workflow on the embedded SQLite store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/durable-lambda --db .durable-lambda/demo.db run examples/greeting.py:handler \
  --input '{"user_id": "u-42", "name": "Ada"}' "$@"
