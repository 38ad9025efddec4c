"""Property-based fuzzing of the HTTP API with raw HTTP (no boto3): no 5xx, ever, and every
error in Lambda's format (status, ``x-amzn-ErrorType``, JSON body with the message key).

A real server (uvicorn on 127.0.0.1, dispatcher running, handlers on threads) holds a few real
executions and a live callback, so generated requests reach real resources as well as junk:
random methods, route paths with real, percent-encoded, double-encoded and malformed ARNs and
callback ids, query strings, headers, JSON and non-JSON bodies of the wrong shapes.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_lambda_server.api import durable_routes, function_routes, invoke_routes
from durable_lambda_server.engine import Engine, SystemClock
from durable_lambda_server.runtime import Runtime
from durable_lambda_server.store import SqliteStore
from tests.faults.conftest import APPS, LiveServer
from tests.faults.invariants import assert_invariants
from tests.faults.strategies import junk, odd_text

TEMPLATES = [
    (m, p) for m, p, _ in invoke_routes.ROUTES + function_routes.ROUTES + durable_routes.ROUTES
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
QUERY_KEYS = [
    "MaxItems",
    "Marker",
    "ReverseOrder",
    "IncludeExecutionData",
    "Qualifier",
    "Statuses",
    "StartedAfter",
    "StartedBefore",
    "CheckpointToken",
    "FunctionVersion",
    "DurableExecutionName",
]
QUERY_VALUES = [
    "",
    "-1",
    "0",
    "1",
    "1000",
    "99999999999999999999999",
    "9" * 5000,
    "1e400",
    "inf",
    "nan",
    "true",
    "false",
    "TRUE",
    "%ZZ",
    "%00",
    "2026-01-01T00:00:00Z",
    "2026-13-45",
    "RUNNING",
    "$LATEST",
]
PROTECTED = {"fz", "cbw"}
COUNT = {"requests": 0}


def _zip(files: dict[str, str]) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return base64.b64encode(buf.getvalue()).decode()


class FuzzServer:
    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "state.db"
        engine = Engine(SqliteStore(str(self.db)), clock=SystemClock())
        self.runtime = Runtime(engine, invoker="thread")
        app = str(APPS / "fuzz_app.py")
        self.runtime.register_function(
            "fz", f"{app}:quick", durable=True, execution_timeout_seconds=600
        )
        self.runtime.register_function(
            "cbw", f"{app}:waits", durable=True, execution_timeout_seconds=600
        )
        self.runtime.start()
        self.live = LiveServer(self.runtime, tmp)
        done = self.runtime.invoke("fz", '{"x": 1}', execution_name="done")
        waiting, _ = self.runtime.start_execution("cbw", "{}", execution_name="waiting")
        self.runtime.wait_for_terminal(done.arn, timeout=30)
        self.callback_id = _wait_callback(engine, waiting)
        self.arns = [done.arn, waiting]
        self.conn = http.client.HTTPConnection("127.0.0.1", self.live.port, timeout=60)

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        COUNT["requests"] += 1
        for _ in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed a keep-alive connection: reconnect once
        raise AssertionError(f"server dropped the connection for {method} {path}")

    def stop(self) -> None:
        self.conn.close()
        self.live.stop()
        self.runtime.stop()


def _wait_callback(engine: Engine, arn: str) -> str:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event in engine.get_history(arn)["Events"]:
            if event["EventType"] == "CallbackStarted":
                return str(event["CallbackStartedDetails"]["CallbackId"])
        time.sleep(0.02)
    raise AssertionError("the callback never started")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    srv = FuzzServer(tmp_path_factory.mktemp("fuzz"))
    yield srv
    srv.stop()


def _encodings(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            quote(value, safe=""),
            quote(value, safe=":/$"),
            quote(quote(value, safe=""), safe=""),
            quote(value, safe="") + "%",
            value.replace(":", "%3a"),
        ]
    )


@st.composite
def segments(draw: st.DrawFn, server: FuzzServer) -> str:
    real = [
        *server.arns,
        server.callback_id,
        "fz",
        "cbw",
        "fz:$LATEST",
        "fz:1",
        "nope",
        "arn:aws:lambda:us-east-1:000000000000:function:fz",
        server.arns[0] + "x",
    ]
    choice = draw(st.integers(0, 3))
    if choice <= 1:
        return draw(st.sampled_from(real).flatmap(_encodings))
    if choice == 2:
        return draw(
            st.sampled_from(
                ["%ZZ", "%", "%00", "..", ".", "%2F", "a" * 3000, "%ff%fe", "%ED%A0%80", "$LATEST"]
            )
        )
    return quote(
        draw(odd_text.filter(lambda t: len(t) < 500)) or "x", safe="", errors="surrogatepass"
    )


@st.composite
def bodies(draw: st.DrawFn, server: FuzzServer) -> bytes | None:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return None
    if kind == 1:
        return draw(st.binary(max_size=64))
    if kind == 2:
        return draw(
            st.sampled_from(
                [
                    b"",
                    b"{",
                    b"null",
                    b"[]",
                    b'"x"',
                    b"NaN",
                    b'{"a": Infinity}',
                    b"\xff\xfe",
                    b'{"x": "\\ud800"}',
                    b'"\\udfff"',
                    b"1" * 400,
                ]
            )
        )
    if kind == 3:
        return json.dumps(draw(junk)).encode()
    if kind == 4:
        return json.dumps(
            {
                "CheckpointToken": draw(st.one_of(st.just("t"), junk)),
                "Updates": draw(st.one_of(junk, st.lists(junk, max_size=3))),
                "ClientToken": draw(st.one_of(st.none(), junk)),
            }
        ).encode()
    if kind == 5:
        return json.dumps(
            {
                "ErrorType": draw(junk),
                "ErrorMessage": draw(st.one_of(odd_text, junk)),
                "StackTrace": draw(st.one_of(st.none(), junk)),
            }
        ).encode()
    good_zip = _zip({"plain.py": "def handler(event, context):\n    return event\n"})
    body = {
        "FunctionName": draw(
            st.one_of(st.sampled_from(["fz2", "fz3", "fz", "bad name!", ""]), junk)
        ),
        "Code": draw(st.one_of(st.just({"ZipFile": good_zip}), st.just({"ZipFile": "AA=="}), junk)),
        "Handler": draw(st.one_of(st.just("plain.handler"), junk)),
        "Name": draw(st.one_of(st.just("live"), junk)),
        "FunctionVersion": draw(st.one_of(st.just("1"), junk)),
    }
    for key in (
        "MemorySize",
        "Timeout",
        "Environment",
        "DurableConfig",
        "RoutingConfig",
        "Description",
        "Runtime",
        "Architectures",
        "Publish",
    ):
        if draw(st.booleans()):
            body[key] = draw(junk)
    return json.dumps(body).encode()


@st.composite
def requests(draw: st.DrawFn, server: FuzzServer) -> tuple[str, str, dict[str, str], bytes | None]:
    if draw(st.integers(0, 9)) == 0:
        path = "/" + "/".join(draw(st.lists(segments(server), max_size=4)))
        method = draw(st.sampled_from(METHODS))
    else:
        method, template = draw(st.sampled_from(TEMPLATES))
        if draw(st.integers(0, 9)) == 0:
            method = draw(st.sampled_from(METHODS))
        parts = [
            draw(segments(server)) if p.startswith("{") else p
            for p in template.strip("/").split("/")
        ]
        path = "/" + "/".join(parts)
    query = draw(
        st.lists(st.tuples(st.sampled_from(QUERY_KEYS), st.sampled_from(QUERY_VALUES)), max_size=3)
    )
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query)
    if method == "DELETE" and any(name in path for name in PROTECTED):
        method = "GET"  # keep the fixture functions alive for the rest of the run
    headers = {
        "Content-Type": draw(
            st.sampled_from(["application/json", "text/plain", "application/x-amz-json-1.1"])
        )
    }
    if draw(st.booleans()):
        headers["X-Amz-Invocation-Type"] = draw(
            st.sampled_from(["Event", "DryRun", "RequestResponse", "Bogus", ""])
        )
    if draw(st.booleans()):
        headers["X-Amz-Durable-Execution-Name"] = draw(
            st.sampled_from(["done", "n1", "bad name", "x" * 65])
        )
    body = draw(bodies(server))
    if "cbw" in path and "invocations" in path:
        headers["X-Amz-Invocation-Type"] = "Event"  # a RequestResponse would wait for the callback
    return method, path, headers, body


def check_response(
    method: str,
    path: str,
    status: int,
    headers: dict[str, str],
    raw: bytes,
    *,
    body: bytes | None = None,
) -> None:
    where = f"{method} {path[:200]} -> {status}"
    assert status < 500, f"{where}: {raw[:500]!r}"
    if status < 400:
        return
    error_type = headers.get("x-amzn-errortype")
    assert error_type, f"{where}: no x-amzn-ErrorType"
    assert headers.get("x-amzn-requestid"), f"{where}: no x-amzn-RequestId"
    if method == "HEAD":
        return
    body = json.loads(raw)
    assert isinstance(body, dict) and body.get("Type") in ("User", "Service"), f"{where}: {body}"
    message = body.get("message", body.get("Message"))
    assert isinstance(message, str) and message, f"{where}: no message in {body}"
    assert body.get("__type") == error_type


EXAMPLES = int(os.environ.get("FAULTS_HTTP_EXAMPLES", "1500"))
# Bug hunting: FAULTS_HTTP_COLLECT=1 records every bad response and reports them all at the end.
COLLECT = os.environ.get("FAULTS_HTTP_COLLECT") == "1"
FOUND: dict[str, str] = {}


@settings(
    max_examples=EXAMPLES,
    derandomize=os.environ.get("FAULTS_FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_no_request_gets_a_5xx_and_errors_are_lambda_shaped(
    fuzz_server: FuzzServer, data: st.DataObject
) -> None:
    for _ in range(3):
        method, path, headers, body = data.draw(requests(fuzz_server))
        status, resp_headers, raw = fuzz_server.send(method, path, headers, body)
        if not COLLECT:
            check_response(method, path, status, resp_headers, raw, body=body)
            continue
        try:
            check_response(method, path, status, resp_headers, raw, body=body)
        except AssertionError as err:
            FOUND.setdefault(
                f"{method} {path.split('?')[0][:60]} {status}",
                f"{err} body={body!r:.300} headers={headers}",
            )


def test_fuzzing_left_the_store_consistent(fuzz_server: FuzzServer) -> None:
    print(f"http fuzz: {COUNT['requests']} requests")
    for key, detail in FOUND.items():
        print(f"FOUND {key}\n    {detail}")
    assert COUNT["requests"] == 0 or COUNT["requests"] >= 3 * EXAMPLES
    assert_invariants(fuzz_server.db)
    status, _, _ = fuzz_server.send("GET", "/2015-03-31/functions/fz", {}, None)
    assert status == 200


GOOD_ZIP = _zip({"plain.py": "def handler(event, context):\n    return event\n"})


def test_list_functions_with_a_huge_marker(fuzz_server: FuzzServer) -> None:
    status, headers, raw = fuzz_server.send(
        "GET", "/2015-03-31/functions?Marker=" + "9" * 5000, {}, None
    )
    check_response("GET", "/2015-03-31/functions", status, headers, raw)


def test_create_function_with_a_non_numeric_memory_size(fuzz_server: FuzzServer) -> None:
    body = {
        "FunctionName": "mem",
        "Code": {"ZipFile": "AA=="},
        "Handler": "a.b",
        "MemorySize": "abc",
    }
    status, headers, raw = fuzz_server.send(
        "POST", "/2015-03-31/functions", {}, json.dumps(body).encode()
    )
    check_response("POST", "/2015-03-31/functions", status, headers, raw)


def test_create_function_cannot_write_outside_the_state_dir(fuzz_server: FuzzServer) -> None:
    name = f"escape-{os.getpid()}"
    outside = fuzz_server.db.parent.parent / name
    body = {
        "FunctionName": f"../../{name}",
        "Code": {"ZipFile": GOOD_ZIP},
        "Handler": "plain.handler",
    }
    try:
        status, _, _ = fuzz_server.send(
            "POST", "/2015-03-31/functions", {}, json.dumps(body).encode()
        )
        assert status == 400
        assert not outside.exists(), f"code unpacked outside the state directory: {outside}"
    finally:
        import shutil

        shutil.rmtree(outside, ignore_errors=True)
