"""Issue 17, bugs 2 and 3: no request body makes the API answer 5xx, and a body that is not a JSON
object is a 400 on every route that takes one.

Each body goes over real HTTP to ``create_app`` on uvicorn; the answer must be a 400 in Lambda's
error format (``x-amzn-ErrorType`` header, JSON ``message``/``Message``), and nothing stored may
change: the function created first is still there, unchanged, afterwards.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live import ROLE, Server, zip_of

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
HUGE_NUMBER = b'{"Timeout": ' + b"9" * 20_000 + b"}"
NOT_OBJECTS = [b"null", b"[]", b'"text"', b"42", b"true"]
APP = "def handler(event, context):\n    return event\n"

# (method, path) of routes whose body must be a JSON object.
OBJECT_ROUTES = [
    ("POST", "/2015-03-31/functions"),
    ("PUT", "/2015-03-31/functions/plain/configuration"),
    ("PUT", "/2015-03-31/functions/plain/code"),
    ("POST", "/2015-03-31/functions/plain/versions"),
    ("POST", "/2015-03-31/functions/plain/aliases"),
    ("PUT", "/2017-10-31/functions/plain/concurrency"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("bad-bodies"))
    srv.client().create_function(
        FunctionName="plain",
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": APP})},
        Timeout=7,
    )
    srv.client().create_function(
        FunctionName="durable",
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": APP})},
        Timeout=7,
        DurableConfig={"ExecutionTimeout": 60, "RetentionPeriodInDays": 1},
    )
    yield srv
    srv.stop()


def _send(server: Server, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    return response.status, headers, json.loads(raw) if raw else None


def _assert_lambda_400(status: int, headers: dict[str, str], body: Any) -> None:
    assert status == 400, (status, body)
    assert headers.get("x-amzn-errortype") in {
        "InvalidRequestContentException",
        "InvalidParameterValueException",
    }, headers
    assert isinstance(body, dict) and (body.get("message") or body.get("Message")), body


def _function_unchanged(server: Server) -> None:
    config = server.client().get_function_configuration(FunctionName="plain")
    assert config["Timeout"] == 7 and config["Handler"] == "app.handler"


@pytest.mark.parametrize("method,path", OBJECT_ROUTES)
@pytest.mark.parametrize(
    "body",
    [DEEP, DEEP_OBJECT, HUGE_NUMBER, *NOT_OBJECTS],
    ids=["deep-array", "deep-object", "huge-number", "null", "array", "string", "number", "bool"],
)
def test_a_body_that_is_not_a_usable_object_is_a_400(
    server: Server, method: str, path: str, body: bytes
) -> None:
    status, headers, answer = _send(server, method, path, body)
    _assert_lambda_400(status, headers, answer)
    _function_unchanged(server)


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["deep-array", "deep-object"])
def test_an_invoke_payload_nested_too_deep_is_a_400_not_a_500(server: Server, body: bytes) -> None:
    status, headers, answer = _send(
        server, "POST", "/2015-03-31/functions/durable/invocations", body
    )
    _assert_lambda_400(status, headers, answer)
