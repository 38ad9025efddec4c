#!/usr/bin/env bash
# Creates .venv (if needed) and installs durable-lambda with its test dependencies.
# Sourced by demo.sh and test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.durable-lambda-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "${1:-}" = "--force" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[server,test]'
  # The conformance suite declares Python >= 3.14, but its data and matcher run on 3.11.
  .venv/bin/python -m pip install --quiet --ignore-requires-python \
    'aws-durable-execution-conformance-tests==1.0.0'
  # The official AWS SDK and its testing library, kept OUT of the venv: tests copy the SDK into
  # function zips (a function brings its own packages, as on Lambda) and the benchmarks run the
  # official runner with PYTHONPATH pointing here.
  rm -rf .cache/official
  .venv/bin/python -m pip install --quiet --no-deps --target .cache/official \
    'aws-durable-execution-sdk-python==3.0.0' 'aws-durable-execution-sdk-python-testing==1.4.0'
  touch "$stamp"
fi
