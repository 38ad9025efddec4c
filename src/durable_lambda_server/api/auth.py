"""API authentication: who may call which route (docs/security.md).

``Authenticator.authenticate`` runs before routing on every request when the server has
authentication on. It accepts:

* SigV4 (``Authorization: AWS4-HMAC-SHA256 ...``) signed with an operator access key: any route;
* ``Authorization: Bearer <token>`` matching an operator token (constant-time): any route;
* SigV4 signed with a worker key (``runtime/sandbox.py``): only CheckpointDurableExecution and
  GetDurableExecutionState of the execution that worker is running right now.

Failures are Lambda-style 403s: no credentials ``MissingAuthenticationTokenException``, a
malformed header ``IncompleteSignatureException``, an unknown key or token
``UnrecognizedClientException``, a wrong or expired signature ``InvalidSignatureException``,
a worker key outside its execution ``AccessDeniedException``.
"""

from __future__ import annotations

import configparser
import hashlib
import hmac
import ipaddress
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from durable_lambda_server.api import sigv4
from durable_lambda_server.api.sigv4 import (
    AccessDeniedException,
    IncompleteSignatureException,
    MissingAuthenticationTokenException,
    SignedRequest,
    UnrecognizedClientException,
)

__all__ = ["Authenticator", "Principal", "is_loopback", "load_credentials_file", "parse_access_key"]

_DURABLE = "2025-12-01"
# The routes a worker key may call: (method, last path segment) under durable-executions/{arn}.
_WORKER_ROUTES = frozenset({("POST", "checkpoint"), ("GET", "state")})
_WORKER_PATH_SEGMENTS = 4  # <version>/durable-executions/<arn>/<checkpoint|state>


@dataclass(frozen=True)
class Principal:
    """Who made a request: ``kind`` is ``"access-key"``, ``"token"`` or ``"worker"``."""

    kind: str
    key_id: str | None = None


class Authenticator:
    """Checks requests against operator access keys, operator bearer tokens and worker keys.

    ``grants`` is the server's ``WorkerGrants`` (``lookup(key_id) -> (secret, arn) | None``).
    """

    def __init__(
        self,
        *,
        access_keys: Mapping[str, str] | None = None,
        tokens: Sequence[str] = (),
        grants: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Hold the credentials; ``clock`` (epoch seconds) replaces the wall clock in tests.

        Bearer tokens are kept only as SHA-256 digests.
        """
        self._access_keys = dict(access_keys or {})
        # Compared as digests: equal length, so the comparison time says nothing about length.
        self._token_digests = [hashlib.sha256(t.encode()).digest() for t in tokens]
        self.grants = grants
        self._clock = clock

    @property
    def schemes(self) -> list[str]:
        """The schemes this server accepts (``"sigv4"``, ``"token"``), for startup messages."""
        return (["sigv4"] if self._access_keys else []) + (["token"] if self._token_digests else [])

    def _now(self) -> datetime:
        if self._clock is None:
            return datetime.now(UTC)
        return datetime.fromtimestamp(self._clock(), UTC)

    async def authenticate(self, request: Any, segments: list[str]) -> Principal:
        """The caller of ``request`` (a Starlette request), or a 403 ``LambdaApiError``."""
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            if any(k == "x-amz-signature" for k in request.query_params):
                raise IncompleteSignatureException(
                    "Presigned (query-string) requests are not supported"
                )
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            return self._bearer(value.strip())
        if scheme != sigv4.ALGORITHM:
            raise IncompleteSignatureException(f"Unsupported Authorization Type: {scheme[:40]!r}")
        return await self._sigv4(request, header, segments)

    def _bearer(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        matched = False
        for known in self._token_digests:  # no early exit: every token is compared
            matched |= hmac.compare_digest(digest, known)
        if not matched or not token:
            raise UnrecognizedClientException(sigv4.INVALID_KEY)
        return Principal("token")

    async def _sigv4(self, request: Any, header: str, segments: list[str]) -> Principal:
        auth = sigv4.parse_authorization(header)
        found = self.grants.lookup(auth.access_key_id) if self.grants is not None else None
        if found is not None:
            secret, bound_arn = found
            principal = Principal("worker", auth.access_key_id)
        elif auth.access_key_id in self._access_keys:
            secret, bound_arn = self._access_keys[auth.access_key_id], None
            principal = Principal("access-key", auth.access_key_id)
        else:
            raise UnrecognizedClientException(sigv4.INVALID_KEY)
        scope = request.scope
        headers = [
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])
        ]
        draft = SignedRequest(
            method=request.method,
            raw_path=scope.get("raw_path") or request.url.path.encode(),
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=b"",
        )
        amz_date = sigv4.check_date(auth, draft, self._now())  # before paying for the body
        body = await request.body()
        signed = SignedRequest(
            draft.method, draft.raw_path, draft.query_string, draft.headers, body
        )
        sigv4.verify(auth, signed, secret, amz_date)
        if principal.kind == "worker":
            _authorize_worker(request.method, segments, bound_arn)
        return principal


def _authorize_worker(method: str, segments: list[str], bound_arn: str | None) -> None:
    allowed = (
        bound_arn is not None
        and len(segments) == _WORKER_PATH_SEGMENTS
        and segments[0] == _DURABLE
        and segments[1] == "durable-executions"
        and (method, segments[3]) in _WORKER_ROUTES
        and hmac.compare_digest(segments[2].encode(), bound_arn.encode())
    )
    if not allowed:
        raise AccessDeniedException(
            "A worker credential may only checkpoint and read the state of the execution its "
            "worker is running"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1).

    Anything else, including ``0.0.0.0``, ``::`` and host names, counts as reachable from the
    network.
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_access_key(text: str) -> tuple[str, str]:
    """``ID:SECRET`` -> ``(ID, SECRET)``; raises ValueError with a usable message."""
    key_id, sep, secret = text.strip().partition(":")
    if not sep or not key_id or not secret:
        raise ValueError(f"access keys are ID:SECRET, got {text[:8]!r}...")
    if any(c.isspace() for c in key_id) or "/" in key_id:
        raise ValueError("an access key id may not contain whitespace or '/'")
    return key_id, secret


def load_credentials_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read operator access keys from a file.

    The file holds ``ID:SECRET`` lines (``#`` comments), or is in the AWS shared credentials format
    (``aws_access_key_id`` / ``aws_secret_access_key`` in any section). It must not be readable
    by other users (worker processes run as one of them).
    """
    file = Path(path)
    mode = file.stat().st_mode
    if mode & 0o007:
        raise ValueError(
            f"{file} is accessible by other users (mode {mode & 0o777:04o}): chmod 600 it"
        )
    text = file.read_text()
    keys: dict[str, str] = {}
    if any(line.strip().startswith("[") for line in text.splitlines()):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text, source=str(file))
        for section in parser.sections():
            key_id = parser.get(section, "aws_access_key_id", fallback="").strip()
            secret = parser.get(section, "aws_secret_access_key", fallback="").strip()
            if key_id and secret:
                keys[key_id] = secret
    else:
        for number, raw_line in enumerate(text.splitlines(), 1):
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                key_id, secret = parse_access_key(line)
            except ValueError as err:
                raise ValueError(f"{file}:{number}: {err}") from None
            keys[key_id] = secret
    if not keys:
        raise ValueError(f"{file} holds no access keys")
    return keys
