"""Blocking hints: how a map/parallel branch runner learns that its thread is about to wait.

A batch runs its branches on as few threads as keep it busy (docs/decisions/0006): one runner
thread takes admitted branches one after another, and a further runner is started when a busy
one is about to block, so the admitted branches still wait concurrently. The SDK calls
``about_to_block()`` before each wait it knows of (a synchronous checkpoint, a step's user
function, a nested batch waiting for its branches); on a runner thread that hands pending
branches to another runner, elsewhere it does nothing. Blocking the SDK cannot see (user code
sleeping in a branch body) is caught by the coordinator's stall check instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["about_to_block", "has_block_hook", "set_block_hook"]

_local = threading.local()


def set_block_hook(hook: Callable[[], None] | None) -> None:
    """Installs ``hook`` for the calling thread (``None`` removes it)."""
    _local.hook = hook


def about_to_block() -> None:
    """Tells the calling thread's branch runner, if any, that it is about to wait."""
    hook = getattr(_local, "hook", None)
    if hook is not None:
        hook()


def has_block_hook() -> bool:
    """Whether the calling thread is a branch runner (has a block hook installed)."""
    return getattr(_local, "hook", None) is not None
