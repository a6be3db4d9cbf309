"""Amazon's static sandbox: canned answers from the models' `x-amzn-api-sandbox` examples.

Each response of an operation may carry `x-amzn-api-sandbox.static`, a list of
`{"request": {"parameters": {name: {"value": ...}}}, "response": ...}`. A request is
answered with the example whose parameters all match it; when several match, the one with
the most parameters wins (so a request with `NextToken` gets the next-page example rather
than the first page). Examples are served as written, quirks included (getShipmentItems's
examples send `QueryType=SHIPMENT`, outside that operation's own enum).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from starlette.responses import JSONResponse, Response

from simulator.errors import SpApiError, invalid_input
from simulator.spec import Operation

# Amazon's sandbox usage plan, the same for every operation (requests per second, burst).
SANDBOX_RATE = 5.0
SANDBOX_BURST = 15


@dataclass(frozen=True)
class SandboxExample:
    """One static example of an operation."""

    status: int
    parameters: Mapping[str, Any]  # parameter name -> expected value
    response: Any  # the body; None when the example has none
    index: int  # position among the operation's examples, in file order


@cache
def _examples(op: Operation) -> tuple[SandboxExample, ...]:
    found: list[SandboxExample] = []
    for status, response in op.raw.get("responses", {}).items():
        sandbox = response.get("x-amzn-api-sandbox") or {}
        for example in sandbox.get("static") or []:
            request = example.get("request") or {}
            params = {
                name: spec.get("value") if isinstance(spec, dict) else spec
                for name, spec in (request.get("parameters") or {}).items()
            }
            found.append(SandboxExample(int(status), params, example.get("response"), len(found)))
    return tuple(found)


def examples(op: Operation) -> list[SandboxExample]:
    """Every static example of `op`, in file order."""
    return list(_examples(op))


def _text(value: Any) -> str:
    """A JSON scalar as it appears in a query string or path."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _split(values: list[str]) -> list[str]:
    """Repeated and comma-separated query values flattened (Swagger 2 CSV arrays)."""
    return [part for value in values for part in value.split(",") if part != ""]


class _Request:
    def __init__(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        body: Any,
        headers: Mapping[str, str],
    ) -> None:
        self.path_params = path_params
        self.query = query
        self.body = body
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.declared = {p.get("name"): p for p in op.parameters}
        self.body_names = {p.get("name") for p in op.parameters if p.get("in") == "body"}

    def matches(self, name: str, expected: Any) -> bool:
        param = self.declared.get(name)
        where = param.get("in") if param else None
        # The examples call the body "body" even where the model names it "payload".
        if where == "body" or (name == "body" and self.body_names):
            return bool(self.body == expected)
        if where == "path" or (where is None and name in self.path_params):
            return self.path_params.get(name) == _text(expected)
        if where == "header":
            return self.headers.get(name.lower()) == _text(expected)
        values = self.query.get(name)
        if values is None:
            return False
        is_array = isinstance(expected, list) or (param or {}).get("type") == "array"
        if is_array:
            wanted = expected if isinstance(expected, list) else [expected]
            return sorted(_split(values)) == sorted(_text(v) for v in wanted)
        actual = values[-1]
        if isinstance(expected, bool):
            return actual.lower() == _text(expected)
        return actual == _text(expected)


def find_example(
    op: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> SandboxExample:
    """The best-matching static example; 400 InvalidInput SpApiError when none matches."""
    request = _Request(op, path_params, query, body, headers or {})
    best: SandboxExample | None = None
    for example in examples(op):
        if all(request.matches(n, v) for n, v in example.parameters.items()) and (
            best is None or len(example.parameters) > len(best.parameters)
        ):
            best = example
    if best is None:
        raise invalid_input(
            f"no sandbox example matches this {op.operation_id} request",
            "The sandbox answers only the requests of the model's x-amzn-api-sandbox "
            "static examples.",
        )
    return best


def example_response(example: SandboxExample) -> Response:
    """The HTTP response an example describes."""
    if example.response is None or example.status == 204:
        return Response(status_code=example.status)
    return JSONResponse(example.response, status_code=example.status)


def answer(
    op: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The sandbox's answer to a request (400 InvalidInput if no example matches)."""
    try:
        return example_response(find_example(op, path_params, query, body, headers))
    except SpApiError as exc:
        return exc.response()
