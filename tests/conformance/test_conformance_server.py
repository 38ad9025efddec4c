"""The conformance suite through ``durable-lambda serve``: boto3 -> HTTP -> engine -> worker
processes.

Every requirement runs twice more than in ``test_conformance.py``: ``server`` with this project's
SDK, ``official`` with AWS's SDK 3.0.0 inside the function zips (server_harness.py). Known gaps of
either variant are listed in ``expected_failures.txt`` as ``server:<id>`` / ``official:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conformance_harness import (
    ConformanceRun,
    discover_requirements,
    install_package_patches,
    load_expected_failures,
    load_template,
    result_timeout,
    timing_marks,
)
from server_harness import OFFICIAL_SDK_DIR, ConformanceServer

REQUIREMENTS = discover_requirements()
REQUIREMENTS_BY_ID = {requirement.id: requirement for requirement in REQUIREMENTS}
FUNCTIONS, COVERED = load_template()
EXPECTED_FAILURES = load_expected_failures()
VARIANTS = ("server", "official")
# Requirements validated at once. AWS's SDK imports boto3 in every cold worker; with 32 at once on
# 2 cores a cold start took up to 14 s, long enough to reorder a 1 s wait against its invocation.
THREADS = {"server": 32, "official": 12}


def _params(variant: str) -> list[Any]:
    params = []
    for requirement in REQUIREMENTS:
        marks: list[Any] = [pytest.mark.conformance, *timing_marks(requirement)]
        reason = EXPECTED_FAILURES.get(f"{variant}:{requirement.id}")
        if reason is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(requirement.id, id=requirement.id, marks=marks))
    return params


def _run_fixture(variant: str) -> Any:
    @pytest.fixture(scope="module")
    def run(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[ConformanceRun]:
        if variant == "official" and not OFFICIAL_SDK_DIR.is_dir():
            pytest.fail(f"{OFFICIAL_SDK_DIR} is missing: run scripts/setup.sh --force")
        install_package_patches()
        work_dir = tmp_path_factory.mktemp(f"conformance-{variant}")
        server = ConformanceServer(work_dir, FUNCTIONS, variant)
        conformance = ConformanceRun(
            server.runtime,
            REQUIREMENTS_BY_ID,
            COVERED,
            work_dir,
            max_workers=THREADS[variant],
            lambda_client=server.client,
        )
        for item in request.session.items:
            callspec = getattr(item, "callspec", None)
            if (
                callspec is not None
                and item.originalname == f"test_{variant}"
                and "requirement_id" in callspec.params
            ):
                conformance.submit(callspec.params["requirement_id"])
        conformance.seal()
        try:
            yield conformance
        finally:
            conformance.shutdown()
            server.stop()

    return run


server_run = _run_fixture("server")
official_run = _run_fixture("official")


def _check(run: ConformanceRun, requirement_id: str) -> None:
    outcome = run.result(requirement_id, timeout=result_timeout(REQUIREMENTS_BY_ID[requirement_id]))
    if not outcome.passed:
        pytest.fail(outcome.report(), pytrace=False)


@pytest.mark.parametrize("requirement_id", _params("server"))
def test_server(requirement_id: str, server_run: ConformanceRun) -> None:
    _check(server_run, requirement_id)


@pytest.mark.parametrize("requirement_id", _params("official"))
def test_official(requirement_id: str, official_run: ConformanceRun) -> None:
    _check(official_run, requirement_id)
