"""durable-lambda's testing package (reserved): AWS's testing API on the real engine.

AWS's ``aws_durable_execution_sdk_python_testing`` API arrives with issue 22. The name exists now
so that one textual prefix change,
``aws_durable_execution_sdk_python`` -> ``durable_lambda``, ports a team's tests as it ports their
handlers (decision 0016). Nothing is exported yet.
"""

from __future__ import annotations

__all__: list[str] = []
