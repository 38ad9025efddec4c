"""Text the service cannot render back as UTF-8 (lone UTF-16 surrogates) never gets stored raw.

Request bodies carrying one are rejected at the edge; a handler's own error or output carrying
one (an OS error naming a non-UTF-8 file decodes with surrogate escapes) is recorded with the
surrogate escaped, so every later read still renders.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from durable_lambda_server.wire.errors import InvalidParameterValueException
from tests.faults.conftest import LiveServer, Rig


def test_handler_error_with_a_surrogate_stays_readable(rig: Rig, rig_server: LiveServer) -> None:
    arn = rig.start()
    ticket = rig.claim(arn)
    rig.engine.complete_invocation(
        ticket, error={"ErrorType": "FileNotFoundError", "ErrorMessage": "no file b'\udcff'"}
    )
    ticket = rig.claim(arn)
    rig.engine.complete_invocation(
        ticket, output={"Status": "FAILED", "Error": {"ErrorType": "E", "ErrorMessage": "\udcff"}}
    )
    base = f"/2025-12-01/durable-executions/{quote(arn, safe='')}"
    status, _, body = rig_server.json("GET", base)
    assert status == 200 and body["Error"]["ErrorMessage"] == "\\udcff"
    status, _, body = rig_server.json("GET", base + "/history")
    assert status == 200
    assert any("\\udcff" in str(e) for e in body["Events"])


@pytest.mark.parametrize("field", ["Payload", "Name", "Id"])
def test_checkpoint_with_a_lone_surrogate_is_rejected(
    rig: Rig, rig_server: LiveServer, field: str
) -> None:
    arn = rig.start()
    ticket = rig.claim(arn)
    update = {
        "Id": "s",
        "Type": "STEP",
        "Action": "SUCCEED",
        "Payload": '"ok"',
        "Name": "n",
        field: "bad\ud800",
    }
    body = {
        "CheckpointToken": ticket.event["CheckpointToken"],
        "Updates": [{**update, "Action": "START"}],
    }
    with pytest.raises(InvalidParameterValueException, match="surrogate"):
        rig.engine.checkpoint(arn, body)
    before = rig.snapshot().events
    status, headers, answer = rig_server.json(
        "POST", f"/2025-12-01/durable-executions/{quote(arn, safe='')}/checkpoint", body
    )
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException", answer
    assert rig.snapshot().events == before
    assert rig.checkpoint(
        arn, ticket.event["CheckpointToken"], {"Id": "s", "Type": "STEP", "Action": "START"}
    )


def test_error_objects_with_a_lone_surrogate_are_rejected(rig: Rig, rig_server: LiveServer) -> None:
    arn = rig.start()
    raw = b'{"ErrorType": "E", "ErrorMessage": "\\udfff"}'
    status, headers, _ = rig_server.request(
        "POST", f"/2025-12-01/durable-executions/{quote(arn, safe='')}/stop", raw
    )
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    with pytest.raises(InvalidParameterValueException):
        rig.engine.stop_execution(arn, {"ErrorMessage": "\udfff"})
    assert rig.engine.get_execution(arn)["Status"] == "RUNNING"
