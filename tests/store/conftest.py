"""Store backends for the contract tests (``test_contract_*.py``): every test that takes the
``store`` fixture runs once per backend, through ``open_store`` and the protocols only.

A backend is one entry of ``BACKENDS``: its name (the test id) and a factory that opens a store
on the test's own, empty database. Calling the factory again with the same ``tmp_path`` must
open another store on the same database (a second server sharing it): ``open_another`` does that.
PostgreSQL (issue 18) plugs in as one more entry, e.g. a database or schema named after
``tmp_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from durable_lambda_server.store import Store, open_store

StoreFactory = Callable[[Path], Store]


def _sqlite(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path}/contract.db")


BACKENDS: dict[str, StoreFactory] = {
    "sqlite": _sqlite,
}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    """The backend the test runs on."""
    name: str = request.param
    return name


@pytest.fixture
def open_another(backend: str, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens stores on the test's database (each closed when the test ends)."""
    opened: list[Store] = []

    def open_one() -> Store:
        store = BACKENDS[backend](tmp_path)
        opened.append(store)
        return store

    yield open_one
    for store in reversed(opened):
        store.close()


@pytest.fixture
def store(open_another: Callable[[], Store]) -> Store:
    """A fresh store of the backend under test, closed when the test ends."""
    return open_another()
