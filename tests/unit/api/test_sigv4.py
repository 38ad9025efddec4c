"""The SigV4 verifier against botocore's own signer: requests boto3 really builds (captured just
before they would be sent) verify; any change to method, path, query, signed header, body,
secret, scope or clock does not."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from durable_lambda_server.api import sigv4
from durable_lambda_server.api.sigv4 import (
    IncompleteSignatureException,
    InvalidSignatureException,
    SignedRequest,
)

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/3f1c"


class CapturedError(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def capture(
    call: Callable[[Any], Any], *, token: str | None = None, region: str = "eu-west-1"
) -> SignedRequest:
    """Runs one boto3 call with the request captured (and not sent) after signing."""
    client = boto3.client(
        "lambda",
        endpoint_url="http://127.0.0.1:9000",
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
    )

    def stop(request: Any, **_: Any) -> None:
        raise CapturedError(request)

    client.meta.events.register("before-send.lambda", stop)
    with pytest.raises(CapturedError) as info:
        call(client)
    prepared = info.value.request
    return to_signed(prepared.method, prepared.url, dict(prepared.headers), prepared.body)


def to_signed(method: str, url: str, headers: dict[str, Any], body: Any) -> SignedRequest:
    parts = urlsplit(url)
    pairs = [
        (k.lower(), v.decode() if isinstance(v, bytes) else str(v)) for k, v in headers.items()
    ]
    pairs.append(("host", parts.netloc))  # what urllib3 sends
    data = body.encode() if isinstance(body, str) else (body or b"")
    if hasattr(data, "read"):
        data = data.read()
    return SignedRequest(method, parts.path.encode(), parts.query.encode(), pairs, data)


def check(
    request: SignedRequest, secret: str = SECRET, now: datetime | None = None
) -> sigv4.Authorization:
    auth = sigv4.parse_authorization(dict(request.headers)["authorization"])
    amz_date = sigv4.check_date(auth, request, now or datetime.now(UTC))
    sigv4.verify(auth, request, secret, amz_date)
    return auth


def replace(request: SignedRequest, **changes: Any) -> SignedRequest:
    fields = {
        "method": request.method,
        "raw_path": request.raw_path,
        "query_string": request.query_string,
        "headers": request.headers,
        "body": request.body,
        **changes,
    }
    return SignedRequest(**fields)


CALLS: dict[str, Callable[[Any], Any]] = {
    "get_execution": lambda c: c.get_durable_execution(DurableExecutionArn=ARN),
    "state": lambda c: c.get_durable_execution_state(
        DurableExecutionArn=ARN, CheckpointToken="tok/+=", MaxItems=5
    ),
    "checkpoint": lambda c: c.checkpoint_durable_execution(
        DurableExecutionArn=ARN,
        CheckpointToken="t",
        Updates=[{"Id": "1", "Type": "STEP", "Action": "START"}],
    ),
    "history": lambda c: c.get_durable_execution_history(
        DurableExecutionArn=ARN, IncludeExecutionData=True, Marker="a b/c=d&e~f*", MaxItems=3
    ),
    "list": lambda c: c.list_durable_executions_by_function(
        FunctionName="orders",
        Statuses=["RUNNING", "FAILED"],
        DurableExecutionName="x y",
        StartedAfter=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    ),
    "callback": lambda c: c.send_durable_execution_callback_success(
        CallbackId="Ab_-+/=", Result=b'{"ok": 1}'
    ),
    "invoke": lambda c: c.invoke(
        FunctionName="orders:prod",
        Payload=b'{"n": "\\u00e9"}',
        LogType="Tail",
        ClientContext="eyJ9",
    ),
    "create": lambda c: c.create_function(
        FunctionName="f",
        Role="arn:aws:iam::1:role/x",
        Handler="a.b",
        Code={"ZipFile": b"PK\x05\x06" + bytes(18)},
        Runtime="python3.13",
    ),
    "delete": lambda c: c.delete_function(
        FunctionName="arn:aws:lambda:us-east-1:1:function:f", Qualifier="3"
    ),
    "list_functions": lambda c: c.list_functions(MaxItems=10, Marker="5"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_boto3_requests_verify(name: str) -> None:
    request = capture(CALLS[name])
    auth = check(request)
    assert auth.access_key_id == KEY and auth.service == "lambda" and auth.region == "eu-west-1"


def test_the_arn_travels_encoded_and_is_signed_double_encoded() -> None:
    request = capture(CALLS["get_execution"])
    assert (
        b"%3A" in request.raw_path
        and b"%2F" in request.raw_path
        and b"%24LATEST" in request.raw_path
    )
    uri = sigv4.canonical_uri(request.raw_path)
    assert "%253A" in uri and "%252F" in uri and "%2524LATEST" in uri
    decoded = replace(request, raw_path=request.raw_path.replace(b"%2F", b"/"))
    with pytest.raises(InvalidSignatureException):
        check(decoded)


def test_session_token_header_is_signed() -> None:
    request = capture(CALLS["get_execution"], token="session-token")
    assert "x-amz-security-token" in check(request).signed_headers
    tampered = replace(
        request,
        headers=[(k, "other" if k == "x-amz-security-token" else v) for k, v in request.headers],
    )
    with pytest.raises(InvalidSignatureException):
        check(tampered)


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"raw_path": b"/2025-12-01/durable-executions/other/checkpoint"},
        {"query_string": b"x=1"},
        {"body": b'{"CheckpointToken": "u", "Updates": []}'},
    ],
    ids=["method", "path", "query", "body"],
)
def test_any_change_breaks_the_signature(change: dict[str, Any]) -> None:
    request = capture(CALLS["checkpoint"])
    check(request)
    with pytest.raises(InvalidSignatureException):
        check(replace(request, **change))


def test_wrong_secret_and_signed_header_changes_are_refused() -> None:
    request = capture(CALLS["list"])
    with pytest.raises(InvalidSignatureException) as err:
        check(request, secret=SECRET + "x")
    assert err.value.status == 403 and "signature we calculated does not match" in err.value.message
    moved_host = replace(
        request, headers=[(k, "evil:1" if k == "host" else v) for k, v in request.headers]
    )
    with pytest.raises(InvalidSignatureException):
        check(moved_host)
    no_host = replace(request, headers=[(k, v) for k, v in request.headers if k != "host"])
    with pytest.raises(InvalidSignatureException):
        check(no_host)


def test_clock_skew_of_fifteen_minutes_each_way() -> None:
    request = capture(CALLS["get_execution"])
    now = datetime.now(UTC)
    check(request, now=now + timedelta(minutes=14))
    check(request, now=now - timedelta(minutes=14))
    with pytest.raises(InvalidSignatureException) as err:
        check(request, now=now + timedelta(minutes=16))
    assert err.value.message.startswith("Signature expired:")
    with pytest.raises(InvalidSignatureException) as err:
        check(request, now=now - timedelta(minutes=16))
    assert err.value.message.startswith("Signature not yet current:")


def test_scope_must_name_lambda_and_match_the_date() -> None:
    aws_request = AWSRequest(
        method="GET", url="http://127.0.0.1:9000/2015-03-31/functions", data=b""
    )
    SigV4Auth(Credentials(KEY, SECRET), "iam", "us-east-1").add_auth(aws_request)
    request = to_signed("GET", aws_request.url, dict(aws_request.headers), b"")
    with pytest.raises(InvalidSignatureException, match="scoped to correct service"):
        check(request)
    header = dict(request.headers)["authorization"].replace("/iam/", "/lambda/")
    wrong_date = header.split("/")[1]
    header = header.replace(wrong_date, "20000101", 1)
    with pytest.raises(InvalidSignatureException, match="Date in Credential scope"):
        check(
            replace(
                request,
                headers=[(k, header if k == "authorization" else v) for k, v in request.headers],
            )
        )


def test_content_sha256_header_must_be_the_real_hash() -> None:
    body = b'{"a": 1}'
    aws_request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:9000/2015-03-31/functions",
        data=body,
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )
    SigV4Auth(Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(aws_request)
    check(to_signed("POST", aws_request.url, dict(aws_request.headers), body))
    unsigned = AWSRequest(
        method="POST",
        url="http://127.0.0.1:9000/2015-03-31/functions",
        data=body,
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    SigV4Auth(Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(unsigned)
    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        check(to_signed("POST", unsigned.url, dict(unsigned.headers), body))


def test_whitespace_in_header_values_is_collapsed() -> None:
    aws_request = AWSRequest(
        method="GET",
        url="http://127.0.0.1:9000/2015-03-31/functions?b=2&a=1",
        headers={"X-Custom": "  two   spaced  words "},
    )
    SigV4Auth(Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(aws_request)
    request = to_signed("GET", aws_request.url, dict(aws_request.headers), b"")
    assert "x-custom" in check(request).signed_headers
    squeezed = replace(
        request,
        headers=[(k, "two spaced words" if k == "x-custom" else v) for k, v in request.headers],
    )
    check(squeezed)  # same canonical value


def test_dot_segments_and_double_slashes_are_normalised_like_botocore() -> None:
    assert sigv4.canonical_uri(b"/a/./b//c/../d/") == "/a/b/d/"
    assert sigv4.canonical_uri(b"") == "/"
    assert sigv4.canonical_uri(b"/a%20b/~x") == "/a%2520b/~x"


@pytest.mark.parametrize(
    "header, message",
    [
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + "0" * 64, "'Credential'"),
        ("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=" + "0" * 64, "5 slash"),
        (
            "AWS4-HMAC-SHA256 Credential=a/20250101/r/lambda/aws4_request, "
            "SignedHeaders=x-amz-date, Signature=" + "0" * 64,
            "Host",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=a/20250101/r/lambda/aws4_request, "
            "SignedHeaders=x;host, Signature=" + "0" * 64,
            "sorted",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=a/20250101/r/lambda/aws4_request, "
            "SignedHeaders=host, Signature=zz",
            "hexadecimal",
        ),
        ("AWS4-HMAC-SHA1 Credential=a", "Unsupported"),
    ],
)
def test_malformed_authorization_headers(header: str, message: str) -> None:
    with pytest.raises(IncompleteSignatureException, match=message):
        sigv4.parse_authorization(header)
