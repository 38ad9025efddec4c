"""boto3 against `durable-lambda serve`: function management (create, update code and configuration,
versions, aliases, paging, preconditions) and the durable-execution operations' edge cases.

One real server on 127.0.0.1 is shared by the module; every test uses its own function names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import ROLE, Server, zip_of

APPROVAL_APP = """
from durable_lambda import durable_execution


@durable_execution
def approval(event, context):
    return {"answer": context.wait_for_callback(lambda callback_id, ctx: None, name="approval")}
"""


def plain_app(tag: str) -> str:
    return f'''
import os


def handler(event, context):
    return {{
        "tag": "{tag}",
        "greeting": os.environ.get("GREETING"),
        "version": context.function_version,
    }}


def other(event, context):
    return {{"tag": "{tag}-other"}}
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("api-functions"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Any:
    return server.client()


@pytest.fixture(scope="module")
def raw(server: Server) -> Any:
    """A client without botocore's own parameter checks: the server must catch the mistakes."""
    return server.client(validate=False)


def create_plain(client: Any, name: str, tag: str = "v1", **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.13",
        "Role": ROLE,
        "Handler": "plain.handler",
        "Code": {"ZipFile": zip_of({"plain.py": plain_app(tag)})},
        "Timeout": 30,
        **extra,
    }
    result: dict[str, Any] = client.create_function(**kwargs)
    return result


def create_durable(client: Any, name: str) -> dict[str, Any]:
    result: dict[str, Any] = client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.approval",
        Timeout=30,
        Code={"ZipFile": zip_of({"app.py": APPROVAL_APP})},
        DurableConfig={"ExecutionTimeout": 600, "RetentionPeriodInDays": 7},
    )
    return result


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        call()
    response = err.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def invoke_json(client: Any, name: str, **kwargs: Any) -> Any:
    response = client.invoke(FunctionName=name, Payload=b"{}", **kwargs)
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


# -- CreateFunction ---------------------------------------------------------------------------
def test_create_function_rejects_bad_parameters_with_400(client: Any, raw: Any) -> None:
    good: dict[str, Any] = {
        "FunctionName": "bad-params",
        "Runtime": "python3.13",
        "Role": ROLE,
        "Handler": "plain.handler",
        "Code": {"ZipFile": zip_of({"plain.py": plain_app("x")})},
    }
    mistakes: list[dict[str, Any]] = [
        {"Handler": "nodot"},
        {"Handler": "has space.fn"},
        {"Handler": "x" * 129 + ".f"},
        {"Runtime": "nodejs20.x"},
        {"Runtime": "python2.7"},
        {"Runtime": None},
        {"Timeout": 0},
        {"Timeout": 901},
        {"MemorySize": 127},
        {"MemorySize": 10241},
        {"Role": "not-a-role"},
        {"Description": "d" * 257},
        {"DurableConfig": {"ExecutionTimeout": 0}},
        {"DurableConfig": {"RetentionPeriodInDays": 91}},
        {"Architectures": ["mips"]},
        {"Environment": {"Variables": {"1BAD": "x"}}},
        {"FunctionName": "../escape"},
        {"FunctionName": "a" * 65},
        {"PackageType": "Image"},
        {"Code": {"ZipFile": b"not a zip"}},
        {"Code": {"S3Bucket": "b", "S3Key": "k"}},
    ]
    for mistake in mistakes:
        kwargs = {k: v for k, v in {**good, **mistake}.items() if v is not None}
        code, status, _ = error_of(lambda kw=kwargs: raw.create_function(**kw))
        assert (code, status) == ("InvalidParameterValueException", 400), mistake
    assert error_of(lambda: client.get_function(FunctionName="bad-params"))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    config = client.create_function(**good, Timeout=900, MemorySize=10240)
    assert (config["Timeout"], config["MemorySize"], config["Version"]) == (900, 10240, "$LATEST")
    assert config["RevisionId"] and config["State"] == "Active"
    code, status, message = error_of(lambda: client.create_function(**good))
    assert (code, status) == ("ResourceConflictException", 409) and "bad-params" in message


def test_create_with_publish_returns_version_one(client: Any) -> None:
    config = create_plain(client, "born-published", Publish=True)
    assert config["Version"] == "1" and config["FunctionArn"].endswith(":born-published:1")
    assert [
        v["Version"]
        for v in client.list_versions_by_function(FunctionName="born-published")["Versions"]
    ] == ["$LATEST", "1"]


# -- UpdateFunctionCode / UpdateFunctionConfiguration / PublishVersion -----------------------------
def test_updates_change_latest_and_never_published_versions(client: Any, raw: Any) -> None:
    name = "evolving"
    created = create_plain(
        client, name, Environment={"Variables": {"GREETING": "hi"}}, Description="first"
    )
    v1 = client.publish_version(FunctionName=name, Description="release one")
    assert v1["Version"] == "1" and v1["Description"] == "release one"
    assert v1["RevisionId"] != created["RevisionId"]

    code = client.update_function_code(
        FunctionName=name, ZipFile=zip_of({"plain.py": plain_app("v2")})
    )
    assert (
        code["CodeSha256"] != created["CodeSha256"] and code["RevisionId"] != created["RevisionId"]
    )
    assert code["Version"] == "$LATEST" and code["Handler"] == "plain.handler"
    assert invoke_json(client, name)["tag"] == "v2"
    assert invoke_json(client, name, Qualifier="1") == {
        "tag": "v1",
        "greeting": "hi",
        "version": "1",
    }

    conf = client.update_function_configuration(
        FunctionName=name,
        Handler="plain.other",
        Timeout=45,
        MemorySize=512,
        Description="second",
        Environment={"Variables": {"GREETING": "hello"}},
        Runtime="python3.12",
    )
    assert (
        conf["Handler"],
        conf["Timeout"],
        conf["MemorySize"],
        conf["Description"],
        conf["Runtime"],
    ) == ("plain.other", 45, 512, "second", "python3.12")
    assert (
        conf["Environment"]["Variables"] == {"GREETING": "hello"}
        and conf["RevisionId"] != code["RevisionId"]
    )
    assert conf["CodeSha256"] == code["CodeSha256"]  # configuration changes keep the code
    assert invoke_json(client, name) == {"tag": "v2-other"}

    after = client.get_function(FunctionName=name, Qualifier="1")
    same = {
        k: after["Configuration"][k]
        for k in (
            "Handler",
            "Timeout",
            "MemorySize",
            "CodeSha256",
            "RevisionId",
            "Environment",
            "Runtime",
        )
    }
    assert same == {k: v1[k] for k in same}
    assert after["Code"]["Location"] != client.get_function(FunctionName=name)["Code"]["Location"]
    assert Path(
        after["Code"]["Location"].removeprefix("file://"), "plain.py"
    ).read_text() == plain_app("v1")

    # preconditions: a stale RevisionId or CodeSha256 is a 412, nothing changes
    for call in (
        lambda: client.update_function_configuration(
            FunctionName=name, Timeout=5, RevisionId=created["RevisionId"]
        ),
        lambda: client.update_function_code(
            FunctionName=name,
            ZipFile=zip_of({"plain.py": plain_app("v3")}),
            RevisionId=v1["RevisionId"],
        ),
        lambda: client.publish_version(FunctionName=name, RevisionId=code["RevisionId"]),
        lambda: client.publish_version(FunctionName=name, CodeSha256=created["CodeSha256"]),
    ):
        assert error_of(call)[:2] == ("PreconditionFailedException", 412)
    assert client.get_function_configuration(FunctionName=name)["Timeout"] == 45
    client.update_function_configuration(
        FunctionName=name, Timeout=46, RevisionId=conf["RevisionId"]
    )

    published = client.update_function_code(
        FunctionName=name, ZipFile=zip_of({"plain.py": plain_app("v3")}), Publish=True
    )
    assert published["Version"] == "2" and published["FunctionArn"].endswith(f":{name}:2")
    again = client.publish_version(FunctionName=name)  # nothing changed since version 2
    assert again["Version"] == "2"
    assert [
        v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]
    ] == ["$LATEST", "1", "2"]
    dry = client.update_function_code(
        FunctionName=name, ZipFile=zip_of({"plain.py": plain_app("v9")}), DryRun=True
    )
    assert dry["CodeSha256"] == published["CodeSha256"]
    assert invoke_json(client, name, Qualifier="2") == {"tag": "v3-other"}

    for kwargs in (
        {"Timeout": 901},
        {"MemorySize": 64},
        {"Handler": "nodot"},
        {"Runtime": "ruby3.3"},
        {"DurableConfig": {"ExecutionTimeout": 60}},
        {"Environment": {"Variables": {"K": 1}}},
    ):
        assert error_of(
            lambda kw=kwargs: raw.update_function_configuration(FunctionName=name, **kw)
        )[:2] == ("InvalidParameterValueException", 400), kwargs
    assert error_of(lambda: client.update_function_code(FunctionName=name, ZipFile=b"junk"))[
        :2
    ] == ("InvalidParameterValueException", 400)
    assert error_of(lambda: client.update_function_configuration(FunctionName="nope", Timeout=3))[
        :2
    ] == ("ResourceNotFoundException", 404)
    assert error_of(
        lambda: client.update_function_code(FunctionName="nope", ZipFile=zip_of({"a.py": ""}))
    )[:2] == ("ResourceNotFoundException", 404)


def test_durable_config_can_change_on_a_durable_function(client: Any) -> None:
    create_durable(client, "durable-conf")
    out = client.update_function_configuration(
        FunctionName="durable-conf", DurableConfig={"ExecutionTimeout": 1200}
    )
    assert out["DurableConfig"] == {"ExecutionTimeout": 1200, "RetentionPeriodInDays": 7}
    got = client.get_function_configuration(FunctionName="durable-conf")
    assert got["DurableConfig"]["ExecutionTimeout"] == 1200


# -- GetFunction / DeleteFunction with qualifiers ------------------------------------------------
def test_get_and_delete_with_qualifiers(client: Any) -> None:
    name = "qualified"
    create_plain(client, name)
    client.publish_version(FunctionName=name)
    client.update_function_code(
        FunctionName=name, ZipFile=zip_of({"plain.py": plain_app("v2")}), Publish=True
    )
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert client.get_function(FunctionName=name, Qualifier="2")["Configuration"]["Version"] == "2"
    by_alias = client.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert by_alias["Version"] == "1" and by_alias["FunctionArn"].endswith(f":{name}:live")
    assert client.get_function_configuration(FunctionName=f"{name}:2")["Version"] == "2"
    assert client.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"][
        "FunctionArn"
    ].endswith(":$LATEST")
    assert client.get_function(FunctionName=name)["Configuration"]["FunctionArn"].endswith(
        f":function:{name}"
    )
    for qualifier in ("9", "nosuchalias"):
        assert error_of(lambda q=qualifier: client.get_function(FunctionName=name, Qualifier=q))[
            :2
        ] == ("ResourceNotFoundException", 404)
    assert error_of(lambda: client.get_function(FunctionName=f"{name}:1", Qualifier="2"))[:2] == (
        "InvalidParameterValueException",
        400,
    )

    assert error_of(lambda: client.delete_function(FunctionName=name, Qualifier="1"))[:2] == (
        "ResourceConflictException",
        409,
    )
    assert error_of(lambda: client.delete_function(FunctionName=name, Qualifier="$LATEST"))[:2] == (
        "InvalidParameterValueException",
        400,
    )
    assert error_of(lambda: client.delete_function(FunctionName=name, Qualifier="live"))[:2] == (
        "InvalidParameterValueException",
        400,
    )
    assert error_of(lambda: client.delete_function(FunctionName=name, Qualifier="7"))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    client.delete_function(FunctionName=name, Qualifier="2")
    assert [
        v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]
    ] == ["$LATEST", "1"]
    assert (
        error_of(lambda: client.get_function(FunctionName=name, Qualifier="2"))[0]
        == "ResourceNotFoundException"
    )
    assert invoke_json(client, name, Qualifier="live")["tag"] == "v1"  # the rest is untouched
    client.update_function_configuration(FunctionName=name, Description="changed")
    assert client.publish_version(FunctionName=name)["Version"] == "3"  # numbers are never reused
    client.delete_function(FunctionName=name)
    assert error_of(lambda: client.get_function(FunctionName=name))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(lambda: client.delete_function(FunctionName=name))[:2] == (
        "ResourceNotFoundException",
        404,
    )


# -- aliases ---------------------------------------------------------------------------------------
def test_alias_update_routing_and_revision(client: Any, raw: Any) -> None:
    name = "aliased"
    create_plain(client, name)
    for tag in ("v1", "v2", "v3"):
        client.update_function_code(
            FunctionName=name, ZipFile=zip_of({"plain.py": plain_app(tag)}), Publish=True
        )
    made = client.create_alias(
        FunctionName=name, Name="prod", FunctionVersion="1", Description="first"
    )
    assert error_of(
        lambda: client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    )[:2] == ("ResourceConflictException", 409)
    updated = client.update_alias(
        FunctionName=name,
        Name="prod",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.25}},
        RevisionId=made["RevisionId"],
    )
    assert updated["FunctionVersion"] == "2" and updated["Description"] == "first"
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"3": 0.25}}
    assert updated["RevisionId"] != made["RevisionId"]
    assert client.get_alias(FunctionName=name, Name="prod")["RevisionId"] == updated["RevisionId"]
    assert error_of(
        lambda: client.update_alias(
            FunctionName=name, Name="prod", Description="x", RevisionId=made["RevisionId"]
        )
    )[:2] == ("PreconditionFailedException", 412)
    executed = {
        client.invoke(FunctionName=name, Qualifier="prod", Payload=b"{}")["ExecutedVersion"]
        for _ in range(24)
    }
    assert executed <= {"2", "3"} and "2" in executed
    cleared = client.update_alias(
        FunctionName=name, Name="prod", RoutingConfig={"AdditionalVersionWeights": {}}
    )
    assert (
        cleared["RoutingConfig"]["AdditionalVersionWeights"] == {}
        and cleared["FunctionVersion"] == "2"
    )

    for kwargs in (
        {
            "Name": "prod",
            "FunctionVersion": "$LATEST",
            "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}},
        },
        {"Name": "prod", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.1, "3": 0.1}}},
        {"Name": "prod", "RoutingConfig": {"AdditionalVersionWeights": {"3": 1.5}}},
        {"Name": "prod", "FunctionVersion": "latest"},
    ):
        assert error_of(lambda kw=kwargs: raw.update_alias(FunctionName=name, **kw))[:2] == (
            "InvalidParameterValueException",
            400,
        ), kwargs
    assert error_of(
        lambda: client.update_alias(FunctionName=name, Name="prod", FunctionVersion="99")
    )[:2] == ("ResourceNotFoundException", 404)
    assert error_of(
        lambda: client.update_alias(FunctionName=name, Name="ghost", FunctionVersion="1")
    )[:2] == ("ResourceNotFoundException", 404)
    assert error_of(
        lambda: client.create_alias(FunctionName=name, Name="123", FunctionVersion="1")
    )[:2] == ("InvalidParameterValueException", 400)
    assert error_of(
        lambda: client.create_alias(FunctionName="nope", Name="a", FunctionVersion="1")
    )[:2] == ("ResourceNotFoundException", 404)
    for alias in ("a1", "a2", "a3"):
        client.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    assert [
        a["Name"] for a in client.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"]
    ] == ["a1", "a2", "a3"]
    first = client.list_aliases(FunctionName=name, MaxItems=3)
    rest = client.list_aliases(FunctionName=name, Marker=first["NextMarker"])
    assert [a["Name"] for a in first["Aliases"] + rest["Aliases"]] == [
        "a1",
        "a2",
        "a3",
        "prod",
    ] and "NextMarker" not in rest
    client.delete_alias(FunctionName=name, Name="a1")
    assert error_of(lambda: client.delete_alias(FunctionName=name, Name="a1"))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(lambda: client.get_alias(FunctionName=name, Name="a1"))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(lambda: client.list_aliases(FunctionName="nope"))[:2] == (
        "ResourceNotFoundException",
        404,
    )


# -- paging ----------------------------------------------------------------------------------------
def test_list_functions_and_versions_page_at_most_50(client: Any, raw: Any) -> None:
    names = [f"page-{i:02d}" for i in range(53)]
    for name in names:
        create_plain(client, name)
    everything = [
        f["FunctionName"]
        for p in client.get_paginator("list_functions").paginate()
        for f in p["Functions"]
    ]
    assert (
        everything == sorted(everything)
        and set(names) <= set(everything)
        and len(set(everything)) == len(everything)
    )
    first = client.list_functions(MaxItems=1000)
    assert len(first["Functions"]) == 50 and "NextMarker" in first
    assert "State" not in first["Functions"][0] and "FunctionArn" in first["Functions"][0]
    small = client.list_functions(MaxItems=7)
    assert len(small["Functions"]) == 7
    following = client.list_functions(MaxItems=7, Marker=small["NextMarker"])
    assert [f["FunctionName"] for f in small["Functions"] + following["Functions"]] == everything[
        :14
    ]
    for kwargs in (
        {"Marker": "nope"},
        {"Marker": "9" * 5000},
        {"MaxItems": 0},
        {"FunctionVersion": "SOME"},
    ):
        assert error_of(lambda kw=kwargs: raw.list_functions(**kw))[:2] == (
            "InvalidParameterValueException",
            400,
        ), kwargs

    for i in range(52):
        client.update_function_configuration(FunctionName="page-00", Description=f"d{i}")
        client.publish_version(FunctionName="page-00")
    pages = list(client.get_paginator("list_versions_by_function").paginate(FunctionName="page-00"))
    assert [len(p["Versions"]) for p in pages] == [50, 3]
    assert [v["Version"] for p in pages for v in p["Versions"]] == [
        "$LATEST",
        *[str(i) for i in range(1, 53)],
    ]
    all_versions = [
        f
        for p in client.get_paginator("list_functions").paginate(FunctionVersion="ALL")
        for f in p["Functions"]
    ]
    assert sum(f["FunctionName"] == "page-00" for f in all_versions) == 53
    assert error_of(lambda: client.list_versions_by_function(FunctionName="nope"))[:2] == (
        "ResourceNotFoundException",
        404,
    )


# -- durable executions ----------------------------------------------------------------------------
def wait_callback_id(client: Any, arn: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        for event in client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]:
            if event["EventType"] == "CallbackStarted":
                return str(event["CallbackStartedDetails"]["CallbackId"])
        assert time.monotonic() < deadline, "no CallbackStarted event"
        time.sleep(0.05)


def wait_status(client: Any, arn: str, status: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = client.get_durable_execution(DurableExecutionArn=arn)
        if execution["Status"] == status:
            return execution
        assert time.monotonic() < deadline, f"execution stuck in {execution['Status']}"
        time.sleep(0.05)


def test_durable_listing_history_and_errors(client: Any, raw: Any) -> None:
    name = "approvals"
    create_durable(client, name)
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    before = datetime.now(UTC) - timedelta(seconds=1)
    arns = []
    for i in range(3):  # distinct start milliseconds: listings order by start time
        arns.append(
            client.invoke(
                FunctionName=name,
                InvocationType="Event",
                Payload=json.dumps({"i": i}).encode(),
                DurableExecutionName=f"exec-{i}",
            )["DurableExecutionArn"]
        )
        time.sleep(0.005)
    pinned = client.invoke(
        FunctionName=name, Qualifier="prod", InvocationType="Event", Payload=b"{}"
    )["DurableExecutionArn"]
    callbacks = [wait_callback_id(client, arn) for arn in arns]
    client.send_durable_execution_callback_success(CallbackId=callbacks[0], Result=b'"yes"')
    client.send_durable_execution_callback_failure(
        CallbackId=callbacks[1], Error={"ErrorType": "No", "ErrorMessage": "no"}
    )
    wait_status(client, arns[0], "SUCCEEDED")
    wait_status(client, arns[1], "FAILED")

    def listed(**kwargs: Any) -> list[str]:
        return [
            e["DurableExecutionArn"]
            for e in client.list_durable_executions_by_function(FunctionName=name, **kwargs)[
                "DurableExecutions"
            ]
        ]

    assert listed() == [*arns, pinned]
    assert listed(ReverseOrder=True) == [pinned, *reversed(arns)]
    assert listed(Statuses=["SUCCEEDED", "FAILED"]) == arns[:2]
    assert listed(Statuses=["RUNNING"]) == [arns[2], pinned]
    assert listed(DurableExecutionName="exec-1") == [arns[1]]
    assert listed(StartedAfter=before) == [*arns, pinned]
    assert listed(StartedBefore=before) == []
    assert listed(Qualifier="1") == [pinned] and listed(Qualifier="prod") == [pinned]
    assert listed(Qualifier="$LATEST") == arns
    page1 = client.list_durable_executions_by_function(FunctionName=name, MaxItems=3)
    page2 = client.list_durable_executions_by_function(
        FunctionName=name, MaxItems=3, Marker=page1["NextMarker"]
    )
    assert [
        e["DurableExecutionArn"] for e in page1["DurableExecutions"] + page2["DurableExecutions"]
    ] == [*arns, pinned]
    assert "NextMarker" not in page2
    for kwargs in (
        {"Statuses": ["DONE"]},
        {"MaxItems": 1001},
        {"Marker": "x"},
        {"DurableExecutionName": "bad name"},
        {"Qualifier": "1", "FunctionName": f"{name}:2"},
    ):
        call_kwargs = {"FunctionName": name, **kwargs}
        assert error_of(lambda kw=call_kwargs: raw.list_durable_executions_by_function(**kw))[
            :2
        ] == ("InvalidParameterValueException", 400), kwargs
    assert error_of(lambda: client.list_durable_executions_by_function(FunctionName="nope"))[
        :2
    ] == ("ResourceNotFoundException", 404)
    assert error_of(
        lambda: client.list_durable_executions_by_function(FunctionName=name, Qualifier="ghost")
    )[:2] == ("ResourceNotFoundException", 404)

    history = client.get_durable_execution_history(
        DurableExecutionArn=arns[0], IncludeExecutionData=True
    )["Events"]
    assert history[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"i": 0}'
    stripped = client.get_durable_execution_history(
        DurableExecutionArn=arns[0], IncludeExecutionData=False
    )["Events"]
    assert [e["EventId"] for e in stripped] == [e["EventId"] for e in history]
    assert "Payload" not in stripped[0]["ExecutionStartedDetails"].get("Input", {})
    pages = list(
        client.get_paginator("get_durable_execution_history").paginate(
            DurableExecutionArn=arns[0], PaginationConfig={"PageSize": 2}
        )
    )
    assert all(len(p["Events"]) <= 2 for p in pages) and len(pages) >= 2
    assert [e["EventId"] for p in pages for e in p["Events"]] == [e["EventId"] for e in history]
    newest_first = client.get_durable_execution_history(
        DurableExecutionArn=arns[0], ReverseOrder=True, MaxItems=2
    )
    assert [e["EventId"] for e in newest_first["Events"]] == [
        history[-1]["EventId"],
        history[-2]["EventId"],
    ]
    older = client.get_durable_execution_history(
        DurableExecutionArn=arns[0],
        ReverseOrder=True,
        MaxItems=2,
        Marker=newest_first["NextMarker"],
    )
    assert older["Events"][0]["EventId"] == history[-3]["EventId"]
    assert error_of(
        lambda: raw.get_durable_execution_history(DurableExecutionArn=arns[0], MaxItems=1001)
    )[:2] == ("InvalidParameterValueException", 400)

    unknown = arns[0].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    for call in (
        lambda a=unknown: client.get_durable_execution(DurableExecutionArn=a),
        lambda a=unknown: client.get_durable_execution_history(DurableExecutionArn=a),
        lambda a=unknown: client.stop_durable_execution(DurableExecutionArn=a),
    ):
        assert error_of(call)[:2] == ("ResourceNotFoundException", 404)
    for malformed in (
        "not-an-arn",
        f"{arns[0]}/extra",
        "arn:aws:lambda:us-east-1:1:function:f:$LATEST/durable-execution/a/b",
    ):
        for call in (
            lambda a=malformed: client.get_durable_execution(DurableExecutionArn=a),
            lambda a=malformed: client.get_durable_execution_history(DurableExecutionArn=a),
            lambda a=malformed: client.stop_durable_execution(DurableExecutionArn=a),
        ):
            assert error_of(call)[:2] == ("InvalidParameterValueException", 400), malformed
    for bad in ("has space", "x" * 2000, "bad!id"):
        for call in (
            lambda c=bad: client.send_durable_execution_callback_success(CallbackId=c, Result=b"1"),
            lambda c=bad: client.send_durable_execution_callback_failure(CallbackId=c),
            lambda c=bad: client.send_durable_execution_callback_heartbeat(CallbackId=c),
        ):
            assert error_of(call)[:2] == ("InvalidParameterValueException", 400), bad
    assert error_of(
        lambda: client.send_durable_execution_callback_heartbeat(CallbackId="dW5rbm93bg==")
    )[:2] == ("InvalidParameterValueException", 400)
    assert error_of(
        lambda: client.send_durable_execution_callback_success(CallbackId=callbacks[0])
    )[:2] == ("CallbackTimeoutException", 400)
    assert error_of(
        lambda: client.checkpoint_durable_execution(
            DurableExecutionArn=arns[2], CheckpointToken="c3RhbGU=", Updates=[]
        )
    )[:2] == ("InvalidParameterValueException", 400)
    assert error_of(lambda: client.stop_durable_execution(DurableExecutionArn=arns[0]))[:2] == (
        "InvalidParameterValueException",
        400,
    )
    for arn in (arns[2], pinned):
        client.stop_durable_execution(DurableExecutionArn=arn)
    assert listed(Statuses=["STOPPED"]) == [arns[2], pinned]
