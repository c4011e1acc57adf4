"""Schemathesis drives every operation of the OpenAPI document against a running server with
generated parameters and bodies, valid and not: whatever it sends, the answer is never a 5xx.

A small budget per operation keeps it to a couple of minutes in ``make test``; run it longer
with ``TESSERA_FUZZ_EXAMPLES=200 pytest tests/fuzz``.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

EXAMPLES = int(os.environ.get("TESSERA_FUZZ_EXAMPLES", "8"))


def test_no_request_gets_a_server_error(
    api_schema: schemathesis.BaseSchema, fuzzed_server: tuple[str, dict[str, str]]
) -> None:
    _base, headers = fuzzed_server
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        # Valid requests, and requests that break the document on purpose (wrong types, bounds).
        cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} answered {response.status_code}: "
                    f"{response.text[:300]}\n  reproduce: {case.as_curl_command(headers=headers)}"
                )

        call()
    assert operations > 100  # the whole API, not a document that lost its operations
    assert not failures, "\n".join(failures[:20])
