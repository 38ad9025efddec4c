"""Store contract, the function registry (``FunctionTable``, ``VersionTable``): ``$LATEST``
rows, reserved concurrency, published versions and aliases, with the record types each returns.
Runs on every backend."""

from __future__ import annotations

import pytest

from durable_lambda_server.store import ConflictError, Store
from durable_lambda_server.store.base import (
    AliasRow,
    FunctionRow,
    NamedAliasRow,
    PublishedVersionRow,
    VersionRow,
)
from tests.store.rows import execution_row, required


def test_functions_are_put_read_and_listed_by_name(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_function("zeta", "z.handler", '{"Timeout": 3}', 1)
        tx.put_function("alpha", "a.handler", "{}", 2)
    with store.transaction() as tx:
        got = required(tx.get_function("zeta"))
        assert type(got) is FunctionRow
        assert got == FunctionRow(name="zeta", handler="z.handler", config='{"Timeout": 3}')
        assert tx.get_function("missing") is None
        assert tx.list_functions() == [
            FunctionRow("alpha", "a.handler", "{}"),
            FunctionRow("zeta", "z.handler", '{"Timeout": 3}'),
        ]
        assert all(type(row) is FunctionRow for row in tx.list_functions())
        tx.put_function("zeta", "z2.handler", '{"Timeout": 9}', 3)  # replaces $LATEST
    with store.transaction(write=False) as tx:
        assert tx.get_function("zeta") == FunctionRow("zeta", "z2.handler", '{"Timeout": 9}')
        assert [row.name for row in tx.list_functions()] == ["alpha", "zeta"]


def test_no_functions_list_empty(store: Store) -> None:
    with store.transaction(write=False) as tx:
        assert tx.list_functions() == []


def test_reserved_concurrency_is_set_cleared_and_kept_across_updates(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_function("f", "h", "{}", 1)
        assert tx.get_reserved_concurrency("f") is None
        assert tx.set_reserved_concurrency("f", 5) is True
    with store.transaction() as tx:
        assert tx.get_reserved_concurrency("f") == 5
        tx.put_function("f", "h2", '{"new": 1}', 2)  # new code keeps the reservation
        assert tx.get_reserved_concurrency("f") == 5
        assert tx.set_reserved_concurrency("f", 0) is True  # 0 throttles everything
    with store.transaction() as tx:
        assert tx.get_reserved_concurrency("f") == 0
        assert tx.set_reserved_concurrency("f", None) is True
    with store.transaction(write=False) as tx:
        assert tx.get_reserved_concurrency("f") is None


def test_reserved_concurrency_of_a_missing_function(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.set_reserved_concurrency("missing", 3) is False
        assert tx.get_reserved_concurrency("missing") is None
        assert tx.get_function("missing") is None  # setting it created nothing


def test_delete_function_takes_its_versions_and_aliases_but_not_executions(store: Store) -> None:
    with store.transaction() as tx:
        for name in ("gone", "kept"):
            tx.put_function(name, "h", "{}", 1)
            tx.publish_version(name, "h", "{}", 2)
            tx.put_alias(name, "live", "1", "{}", "")
        tx.insert_execution(execution_row("arn:gone-run", function_name="gone"))
    with store.transaction() as tx:
        assert tx.delete_function("gone") is True
    with store.transaction() as tx:
        assert tx.get_function("gone") is None
        assert tx.list_versions("gone") == []
        assert tx.get_version("gone", 1) is None
        assert tx.list_aliases("gone") == []
        assert tx.get_alias("gone", "live") is None
        assert tx.get_execution("arn:gone-run") is not None
        assert [row.name for row in tx.list_functions()] == ["kept"]
        assert len(tx.list_versions("kept")) == 1
        assert len(tx.list_aliases("kept")) == 1
        assert tx.delete_function("gone") is False
        assert tx.delete_function("never") is False
    with store.transaction() as tx:  # the name can be used again, with no versions
        tx.put_function("gone", "h", "{}", 3)
        assert tx.publish_version("gone", "h", "{}", 4) == 1


def test_versions_number_from_one_past_the_highest(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.publish_version("f", "h1", '{"v": 1}', 10) == 1
        assert tx.publish_version("f", "h2", '{"v": 2}', 11) == 2
        assert tx.publish_version("other", "o", "{}", 12) == 1  # numbered per function
    with store.transaction() as tx:
        assert tx.publish_version("f", "h7", '{"v": 7}', 13, version=7) == 7  # explicit
        assert tx.publish_version("f", "h8", '{"v": 8}', 14) == 8
    with store.transaction(write=False) as tx:
        versions = tx.list_versions("f")
        assert versions == [
            PublishedVersionRow(version=1, handler="h1", config='{"v": 1}'),
            PublishedVersionRow(2, "h2", '{"v": 2}'),
            PublishedVersionRow(7, "h7", '{"v": 7}'),
            PublishedVersionRow(8, "h8", '{"v": 8}'),
        ]
        assert all(type(v) is PublishedVersionRow and type(v.version) is int for v in versions)
        got = required(tx.get_version("f", 7))
        assert type(got) is VersionRow
        assert got == VersionRow(handler="h7", config='{"v": 7}')
        assert tx.get_version("f", 3) is None
        assert tx.get_version("missing", 1) is None
        assert tx.list_versions("missing") == []


@pytest.mark.parametrize("version", [0, -1, 2**63, 2**80])
def test_a_version_out_of_range_is_none(store: Store, version: int) -> None:
    with store.transaction() as tx:
        tx.publish_version("f", "h", "{}", 1)
    with store.transaction(write=False) as tx:
        assert tx.get_version("f", version) is None


def test_publishing_an_existing_version_number_is_a_conflict(store: Store) -> None:
    with store.transaction() as tx:
        tx.publish_version("f", "h1", "{}", 1)
        tx.publish_version("f", "h2", "{}", 2)
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.put_alias("f", "written-first", "1", "{}", "")
        tx.publish_version("f", "clash", "{}", 3, version=2)
    with store.transaction(write=False) as tx:
        assert tx.get_version("f", 2) == VersionRow("h2", "{}")
        assert tx.get_alias("f", "written-first") is None


def test_delete_version_removes_one_and_the_number_is_free_again(store: Store) -> None:
    with store.transaction() as tx:
        for n in (1, 2, 3):
            tx.publish_version("f", f"h{n}", "{}", n)
    with store.transaction() as tx:
        assert tx.delete_version("f", 2) is True
        assert tx.delete_version("f", 2) is False
        assert tx.delete_version("missing", 1) is False
        assert [v.version for v in tx.list_versions("f")] == [1, 3]
        assert tx.delete_version("f", 3) is True
        # the store numbers from the highest stored (the engine keeps AWS's never-reused count)
        assert tx.publish_version("f", "h", "{}", 4) == 2


def test_aliases_are_put_replaced_read_and_listed_by_name(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_alias("f", "prod", "2", '{"3": 0.1}', "production")
        tx.put_alias("f", "beta", "3", "{}", "")
        tx.put_alias("g", "prod", "1", "{}", "other function")
    with store.transaction() as tx:
        got = required(tx.get_alias("f", "prod"))
        assert type(got) is AliasRow
        assert got == AliasRow(version="2", routing='{"3": 0.1}', description="production")
        assert tx.get_alias("f", "missing") is None
        assert tx.get_alias("missing", "prod") is None
        aliases = tx.list_aliases("f")
        assert aliases == [
            NamedAliasRow(alias="beta", version="3", routing="{}", description=""),
            NamedAliasRow("prod", "2", '{"3": 0.1}', "production"),
        ]
        assert all(type(a) is NamedAliasRow for a in aliases)
        tx.put_alias("f", "prod", "3", "{}", "moved")  # replaces
    with store.transaction() as tx:
        assert tx.get_alias("f", "prod") == AliasRow("3", "{}", "moved")
        assert len(tx.list_aliases("f")) == 2
        assert tx.delete_alias("f", "prod") is True
        assert tx.delete_alias("f", "prod") is False
        assert tx.delete_alias("missing", "x") is False
    with store.transaction(write=False) as tx:
        assert [a.alias for a in tx.list_aliases("f")] == ["beta"]
        assert tx.get_alias("g", "prod") == AliasRow("1", "{}", "other function")
        assert tx.list_aliases("missing") == []
