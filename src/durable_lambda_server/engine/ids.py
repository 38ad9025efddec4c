"""Identifiers and secrets: checkpoint tokens, callback ids, lease tokens, execution ids.

Tokens and callback ids carry 192 random bits from ``secrets`` (issue: at least 128), so they
cannot be guessed; they are bound to their execution by lookup, not by decoding.
"""

from __future__ import annotations

import random
import secrets
import uuid

__all__ = ["IdSource"]


class IdSource:
    """Makes the engine's identifiers; injected so tests can make them predictable."""

    def token(self) -> str:
        """An unguessable checkpoint or lease token."""
        return secrets.token_urlsafe(24)

    def callback_id(self) -> str:
        """An unguessable callback id: holding one is what allows answering the callback."""
        return secrets.token_urlsafe(24)

    def execution_id(self) -> str:
        """A new execution id (and default execution name): a random UUID."""
        return str(uuid.uuid4())

    def request_id(self) -> str:
        """A new invocation request id: a random UUID."""
        return str(uuid.uuid4())

    def fraction(self) -> float:
        """Uniform in [0, 1): weighted alias routing."""
        return random.random()
