"""Helpers shared by the conformance handlers (imported as a sibling module by the handler files).

Two things the requirement prose asks for cannot be written with the SDK alone:

* **Crashing the worker process exactly once** (1-17, 1-18, 3-12). "Once" has to be decided
  durably, because the crash wipes the process: :func:`crash_once` atomically creates a marker
  file keyed by the execution ARN and a label in the directory named by the environment variable
  :data:`STATE_DIR_ENV`, and calls ``os._exit(1)`` only when it created the marker. It refuses to
  run in the test process itself (the in-process thread invoker), so a misconfigured function
  fails its requirement instead of killing pytest.
* **Logging that stays visible during replay** (3-11, 3-17: "with replay logging enabled"). The
  SDK's context logger drops records while its context replays, which would make "the body ran
  again" unobservable. :func:`replay_visible_log` logs through a plain ``logging`` logger with the
  ``executionArn`` extra, which the runtime's log capture correlates like any SDK record.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from pathlib import Path

__all__ = ["STATE_DIR_ENV", "crash_once", "replay_visible_log"]

STATE_DIR_ENV = "DURABLE_LAMBDA_CONFORMANCE_STATE_DIR"
"""Directory for the crash markers; set by the harness on every registered function."""

_replay_logger = logging.getLogger("durable_lambda.conformance.handlers")


def crash_once(execution_arn: str, label: str, *, flush_delay_seconds: float = 0.0) -> None:
    """Kills the worker process with exit status 1 the first time it is called for (ARN, label).

    ``flush_delay_seconds`` lets asynchronous checkpoints (an AT_LEAST_ONCE step's START, a child
    context's START) reach the backend before the process dies, as they would on Lambda when the
    crash happens a moment into the step body.
    """
    state_dir = os.environ.get(STATE_DIR_ENV)
    if not state_dir:
        raise RuntimeError(f"{STATE_DIR_ENV} is not set; cannot decide the first attempt durably")
    if multiprocessing.parent_process() is None:
        raise RuntimeError(
            "refusing to crash the test process: register this function with invoker='process'"
        )
    digest = hashlib.sha256(f"{execution_arn}\n{label}".encode()).hexdigest()[:32]
    marker = Path(state_dir) / f"crash-{digest}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # not the first attempt: carry on normally
    os.close(fd)
    if flush_delay_seconds > 0:
        time.sleep(flush_delay_seconds)
    os._exit(1)


def replay_visible_log(execution_arn: str, message: str) -> None:
    """Logs ``message`` correlated with the execution, also while the caller's context replays."""
    _replay_logger.info(message, extra={"executionArn": execution_arn})
