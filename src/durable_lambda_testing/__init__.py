"""durable-lambda's testing package: AWS's ``aws_durable_execution_sdk_python_testing`` API on the
real engine (issue 22). Reserved: the name exists so that one textual prefix change,
``aws_durable_execution_sdk_python`` -> ``durable_lambda``, ports a team's tests as it ports their
handlers (decision 0016). Nothing is exported yet.
"""

from __future__ import annotations

__all__: list[str] = []
