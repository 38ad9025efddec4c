r"""AWS Signature Version 4 verification (the ``Authorization`` header form) for the Lambda API.

The server recomputes the signature botocore (boto3, the aws CLI) sent and compares it in
constant time. The canonical request is built from what arrived on the wire:

* method, upper case;
* canonical URI: the RAW request path (ASGI ``raw_path``), dot segments and empty segments
  removed, then percent-encoded once more with ``/`` and ``~`` left alone. botocore signs the
  already-encoded URL path, so an execution ARN that travels as ``...%3A...%2F...`` is signed
  as ``...%253A...%252F...`` (the double encoding every AWS service but S3 uses);
* canonical query: each ``name=value`` pair of the raw query decoded and re-encoded with only
  ``A-Z a-z 0-9 - _ . ~`` unescaped, sorted by name then value;
* the headers named in ``SignedHeaders``, lower-case, values trimmed with inner runs of
  whitespace collapsed, repeated headers joined with ``,``;
* the payload hash: SHA-256 of the body the server read. ``X-Amz-Content-SHA256`` is used as
  sent when present (botocore then signs that value) but must equal the real hash, so an
  ``UNSIGNED-PAYLOAD`` request is refused: every body is integrity-protected.

String to sign: ``AWS4-HMAC-SHA256\n<X-Amz-Date>\n<date>/<region>/<service>/aws4_request\n
hex(sha256(canonical request))``; the key is ``HMAC("AWS4"+secret, date)`` chained through
region, service and ``aws4_request``. The scope's service must be ``lambda``; its region is
whatever the client configured (it only feeds the key). ``X-Amz-Date`` must be within 15 minutes
of the server's clock. Presigned (query-string) requests are not supported.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_from_bytes, unquote

from durable_lambda_server.wire.errors import LambdaApiError

__all__ = [
    "ALGORITHM",
    "AccessDeniedException",
    "Authorization",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "SignedRequest",
    "UnrecognizedClientException",
    "canonical_request",
    "check_date",
    "parse_authorization",
    "signing_key",
    "string_to_sign",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "lambda"
MAX_SKEW = timedelta(minutes=15)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_CREDENTIAL_PARTS = 5  # <key id>/<date>/<region>/<service>/aws4_request
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
INVALID_KEY = "The security token included in the request is invalid."


class _AuthError(LambdaApiError):
    """Authentication and authorization failures: 403, Lambda's lower-case ``message`` key."""

    status = 403
    fault = "User"
    message_key = "message"


class MissingAuthenticationTokenException(_AuthError):  # noqa: N818  (AWS's code)
    """No ``Authorization`` header: the request carries no credentials at all."""


class IncompleteSignatureException(_AuthError):  # noqa: N818
    """A malformed or unsupported ``Authorization`` header, or a required part missing."""


class InvalidSignatureException(_AuthError):  # noqa: N818
    """A signature that does not match, is scoped wrongly, or is outside the clock skew."""


class UnrecognizedClientException(_AuthError):  # noqa: N818
    """An access key id or bearer token the server does not know."""


class AccessDeniedException(_AuthError):  # noqa: N818
    """A known credential used outside what it grants (a worker key off its execution)."""


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs of an HTTP request, as it arrived."""

    method: str
    raw_path: bytes
    query_string: bytes
    headers: list[tuple[str, str]]  # (lower-case name, value) in arrival order, repeats kept
    body: bytes

    def header_values(self, name: str) -> list[str]:
        """Every value of the lower-case header ``name``, in arrival order."""
        return [value for key, value in self.headers if key == name]


@dataclass(frozen=True)
class Authorization:
    """A parsed ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` header."""

    access_key_id: str
    date: str  # YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """The credential scope ``<date>/<region>/<service>/aws4_request`` of the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str) -> Authorization:
    """Parses the header; a malformed one is ``IncompleteSignatureException``."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported Authorization Type: {algorithm[:40]!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise IncompleteSignatureException(
            " ".join(f"Authorization header requires '{k}' parameter." for k in missing)
        )
    credential = fields["Credential"].split("/")
    if (
        len(credential) != _CREDENTIAL_PARTS
        or not all(credential)
        or credential[4] != "aws4_request"
    ):
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got '" + fields["Credential"][:200] + "'"
        )
    key_id, date, region, service, _ = credential
    signed = tuple(fields["SignedHeaders"].split(";"))
    if not all(_HEADER_NAME.fullmatch(name) for name in signed) or list(signed) != sorted(
        set(signed)
    ):
        raise IncompleteSignatureException(
            "SignedHeaders must be sorted, unique, lower-case header names"
        )
    if "host" not in signed:
        raise IncompleteSignatureException("'Host' must be a signed header")
    signature = fields["Signature"]
    if not _SIGNATURE.fullmatch(signature):
        raise IncompleteSignatureException("Signature must be 64 lower-case hexadecimal characters")
    return Authorization(key_id, date, region, service, signed, signature)


def check_date(auth: Authorization, request: SignedRequest, now: datetime) -> str:
    """The request's ``X-Amz-Date``, checked against the credential scope and the clock.

    Called before the body is read, so stale or foreign requests cost nothing.
    """
    if auth.service != SERVICE:
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{SERVICE}'."
        )
    values = request.header_values("x-amz-date")
    if len(values) != 1 or "x-amz-date" not in auth.signed_headers:
        raise IncompleteSignatureException(
            "Authorization header requires existence of a signed 'X-Amz-Date' header."
        )
    amz_date = values[0].strip()
    try:
        moment = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignatureException(
            f"X-Amz-Date must be in ISO-8601 basic format: {amz_date[:40]!r}"
        ) from None
    if amz_date[:8] != auth.date:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: "
            f"'{auth.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    stamp = now.astimezone(UTC).strftime(_AMZ_DATE)
    if moment < now - MAX_SKEW:
        earliest = (now - MAX_SKEW).strftime(_AMZ_DATE)
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {earliest} ({stamp} - 15 min.)"
        )
    if moment > now + MAX_SKEW:
        latest = (now + MAX_SKEW).strftime(_AMZ_DATE)
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than {latest} "
            f"({stamp} + 15 min.)"
        )
    return amz_date


def canonical_uri(raw_path: bytes) -> str:
    """Dot and empty segments removed, then every byte but unreserved, ``/`` and ``~`` encoded."""
    path = raw_path.split(b"?", 1)[0]
    kept: list[bytes] = []
    for segment in path.split(b"/"):
        if segment in (b"", b"."):
            continue
        if segment == b"..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    text = b"/" + b"/".join(kept)
    if path.endswith(b"/") and kept:
        text += b"/"
    return quote_from_bytes(text, safe="/~")


def canonical_query(query_string: bytes) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query_string.decode("latin-1").split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_aws_encode(name), _aws_encode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _aws_encode(text: str) -> str:
    return quote(
        unquote(text, encoding="utf-8", errors="surrogateescape"),
        safe="-_.~",
        encoding="utf-8",
        errors="surrogateescape",
    )


def canonical_headers(request: SignedRequest, signed_headers: tuple[str, ...]) -> str:
    lines = []
    for name in signed_headers:
        values = request.header_values(name)
        if not values:
            raise InvalidSignatureException(f"Signed header '{name}' is missing from the request.")
        lines.append(f"{name}:" + ",".join(" ".join(v.split()) for v in values))
    return "\n".join(lines) + "\n"


def payload_hash(request: SignedRequest, signed_headers: tuple[str, ...]) -> str:
    actual = hashlib.sha256(request.body).hexdigest()
    declared = request.header_values("x-amz-content-sha256")
    if not declared:
        return actual
    if len(declared) != 1 or declared[0].strip().lower() != actual:
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return declared[0].strip()


def canonical_request(request: SignedRequest, signed_headers: tuple[str, ...]) -> str:
    """The SigV4 canonical request, rebuilt from the request as it arrived (module docstring)."""
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request.query_string),
            canonical_headers(request, signed_headers),
            ";".join(signed_headers),
            payload_hash(request, signed_headers),
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """The SigV4 string to sign: algorithm, date, scope and the canonical request's hash."""
    digest = hashlib.sha256(canonical.encode("utf-8", errors="surrogateescape")).hexdigest()
    return "\n".join([ALGORITHM, amz_date, scope, digest])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: ``AWS4<secret>`` HMAC-chained through date, region and service."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def verify(auth: Authorization, request: SignedRequest, secret: str, amz_date: str) -> None:
    """Recompute the signature with ``secret``; a mismatch is ``InvalidSignatureException``.

    Call ``check_date`` first (it yields ``amz_date``).
    """
    to_sign = string_to_sign(amz_date, auth.scope, canonical_request(request, auth.signed_headers))
    key = signing_key(secret, auth.date, auth.region, auth.service)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise InvalidSignatureException(SIGNATURE_MISMATCH)
