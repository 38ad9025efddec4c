"""The SDK stays light: importing it loads none of the service layers' heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import sys, durable_lambda, durable_lambda.context, durable_lambda.execution, "
    "durable_lambda.config, durable_lambda.serdes, durable_lambda.retries\n"
    "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
    "service = sorted(m for m in sys.modules if m.startswith(('durable_lambda_server.engine', "
    "'durable_lambda_server.store', 'durable_lambda_server.api', "
    "'durable_lambda_server.runtime', 'durable_lambda_server.cli')))\n"
    "print(','.join(m for m in loaded if m in "
    "('starlette', 'uvicorn', 'boto3', 'botocore', 'sqlite3')))\n"
    "print(','.join(service))\n"
)


def test_sdk_import_loads_no_service_dependencies() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    heavy, service = out.stdout.splitlines()
    assert heavy == ""
    assert service == ""
