"""AWS durable-execution conformance requirements, one test per requirement id.

Each test runs the conformance package's own validator (``validate.validate_description``) for one
requirement YAML against an embedded durable-lambda runtime (real clock, fresh SQLite file per
session and pytest-xdist worker). The handler serving each requirement is declared in
``template.yaml``; requirements that are known not to pass yet are listed with a reason in
``expected_failures.txt`` and become ``xfail(strict=True)``, so the list can only shrink.

Requirements take real time (waits, retry delays, 2 s history polling), so by default the session
starts validating every selected requirement at once on a thread pool
(``DURABLE_LAMBDA_CONFORMANCE_THREADS``, default 24) and each test waits for its own result. Under
pytest-xdist each test validates its requirement itself. Either way:

    .venv/bin/pytest tests/conformance -q
    .venv/bin/pytest tests/conformance -q -n 4
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_harness import (
    ConformanceRun,
    discover_requirements,
    install_package_patches,
    load_expected_failures,
    load_template,
    open_runtime,
    result_timeout,
    timing_marks,
)

REQUIREMENTS = discover_requirements()
REQUIREMENTS_BY_ID = {requirement.id: requirement for requirement in REQUIREMENTS}
FUNCTIONS, COVERED = load_template()
EXPECTED_FAILURES = load_expected_failures()

_unknown = sorted(
    key
    for key in EXPECTED_FAILURES
    if key.rpartition(":")[2] not in REQUIREMENTS_BY_ID
    or key.rpartition(":")[0] not in ("", "server", "official")
)
if _unknown:
    raise ValueError(f"expected_failures.txt lists unknown requirement ids: {_unknown}")
_unknown = sorted(set(COVERED) - set(REQUIREMENTS_BY_ID))
if _unknown:
    raise ValueError(f"template.yaml lists unknown requirement ids: {_unknown}")

_THREADS_ENV = "DURABLE_LAMBDA_CONFORMANCE_THREADS"


def _params() -> list[Any]:
    params = []
    for requirement in REQUIREMENTS:
        marks: list[Any] = [pytest.mark.conformance, *timing_marks(requirement)]
        reason = EXPECTED_FAILURES.get(requirement.id)
        if reason is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(requirement.id, id=requirement.id, marks=marks))
    return params


def _under_xdist() -> bool:
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.fixture(scope="session")
def conformance_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConformanceRun]:
    """One runtime and validator for the session (per xdist worker)."""
    install_package_patches()
    work_dir: Path = tmp_path_factory.mktemp("conformance")
    runtime = open_runtime(work_dir, FUNCTIONS)
    threads = 1 if _under_xdist() else int(os.environ.get(_THREADS_ENV, "24"))
    run = ConformanceRun(runtime, REQUIREMENTS_BY_ID, COVERED, work_dir, max_workers=threads)
    if not _under_xdist():
        for item in request.session.items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "requirement_id" in callspec.params:
                run.submit(callspec.params["requirement_id"])
    run.seal()
    try:
        yield run
    finally:
        run.shutdown()
        runtime.stop()


@pytest.mark.parametrize("requirement_id", _params())
def test_conformance(requirement_id: str, conformance_run: ConformanceRun) -> None:
    outcome = conformance_run.result(
        requirement_id, timeout=result_timeout(REQUIREMENTS_BY_ID[requirement_id])
    )
    if not outcome.passed:
        pytest.fail(outcome.report(), pytrace=False)
