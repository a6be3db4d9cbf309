"""The vendored SP-API models: operations, routing, usage plans and response validation.

Everything here is derived from the unmodified Swagger 2.0 files in `models/`; nothing is
hand-copied, so an updated model changes paths, rates and schemas in one place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match

MODELS_DIR = Path(__file__).parent / "models"

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

# The markdown table every operation description carries, e.g.
#   **Usage Plan:**\n\n| Rate (requests per second) | Burst |\n| ---- | ---- |\n| 0.0167 | 20 |
# Headings differ in case ("Usage plan") and emphasis between models.
_USAGE_PLAN = re.compile(
    r"usage\s+plan:?\**\s*"
    r"\|[^\n]*\|\s*\n"  # header row
    r"\s*\|[\s\-:|]+\|\s*\n"  # separator row
    r"\s*\|\s*([0-9]*\.?[0-9]+)\s*\|\s*([0-9]+)\s*\|",  # rate | burst
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Operation:
    """One SP-API operation as declared in a vendored model."""

    model: str
    operation_id: str
    method: str
    path: str
    rate: float | None
    burst: int | None
    deprecated: bool
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False)
    # Path-level parameters merged with the operation's own (operation wins by name+in).
    parameters: tuple[dict[str, Any], ...] = field(compare=False, hash=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """(model, operation_id): unique across models, unlike operation_id alone."""
        return (self.model, self.operation_id)


@cache
def load_model(model: str) -> dict[str, Any]:
    """The parsed JSON of `models/<model>.json`."""
    path = MODELS_DIR / f"{model}.json"
    if not path.is_file():
        raise KeyError(f"no SP-API model named {model!r} in {MODELS_DIR}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def model_names() -> tuple[str, ...]:
    """Stems of every vendored model file, sorted."""
    return tuple(sorted(p.stem for p in MODELS_DIR.glob("*.json")))


def parse_usage_plan(description: str) -> tuple[float | None, int | None]:
    """(rate, burst) from an operation description's "Usage Plan" table, or (None, None)."""
    match = _USAGE_PLAN.search(description or "")
    if match is None:
        return None, None
    return float(match.group(1)), int(match.group(2))


def _merge_parameters(
    path_level: list[dict[str, Any]], op_level: list[dict[str, Any]]
) -> tuple[dict[str, Any], ...]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*path_level, *op_level]:
        merged[(param.get("name", ""), param.get("in", ""))] = param
    return tuple(merged.values())


@cache
def operations() -> list[Operation]:
    """Every operation of every vendored model, in file order."""
    result: list[Operation] = []
    for model in model_names():
        doc = load_model(model)
        for path, item in doc.get("paths", {}).items():
            path_params = item.get("parameters", [])
            for method, op in item.items():
                if method not in _HTTP_METHODS:
                    continue  # "parameters", "x-amzn-api-sandbox", ... live beside methods
                rate, burst = parse_usage_plan(op.get("description", ""))
                result.append(
                    Operation(
                        model=model,
                        operation_id=op["operationId"],
                        method=method.upper(),
                        path=path,
                        rate=rate,
                        burst=burst,
                        deprecated=bool(op.get("deprecated", False)),
                        raw=op,
                        parameters=_merge_parameters(path_params, op.get("parameters", [])),
                    )
                )
    return result


def get_operation(model: str, operation_id: str) -> Operation:
    """The operation `operation_id` of `model`; KeyError if absent."""
    for op in operations():
        if op.model == model and op.operation_id == operation_id:
            return op
    raise KeyError(f"{model}.{operation_id} is not in the vendored models")


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


@cache
def _route_table() -> dict[str, list[tuple[tuple[int, ...], list[str], Operation]]]:
    """Per method: (specificity, template segments, operation), most specific first.

    Specificity is one flag per segment, 0 for a literal and 1 for a `{param}`, so sorting
    makes literal segments win over parameters at the first place they differ.
    """
    table: dict[str, list[tuple[tuple[int, ...], list[str], Operation]]] = {}
    for op in operations():
        segs = _segments(op.path)
        spec = tuple(1 if s.startswith("{") and s.endswith("}") else 0 for s in segs)
        table.setdefault(op.method, []).append((spec, segs, op))
    for entries in table.values():
        entries.sort(key=lambda e: e[0])
    return table


def match_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation serving `method path` and its path parameters, or None."""
    request_segs = _segments(path)
    for _spec, template, op in _route_table().get(method.upper(), []):
        if len(template) != len(request_segs):
            continue
        params: dict[str, str] = {}
        for tmpl, actual in zip(template, request_segs, strict=True):
            if tmpl.startswith("{") and tmpl.endswith("}"):
                params[tmpl[1:-1]] = actual
            elif tmpl != actual:
                break
        else:
            return op, params
    return None


def response_schema(model: str, operation_id: str, status: int | str) -> dict[str, Any] | None:
    """The Swagger schema of a response, or None when the response declares no body."""
    op = get_operation(model, operation_id)
    response = op.raw.get("responses", {}).get(str(status))
    if response is None:
        raise KeyError(f"{model}.{operation_id} declares no {status} response")
    schema: dict[str, Any] | None = response.get("schema")
    return schema


@cache
def response_validator(model: str, operation_id: str, status: int | str) -> Draft4Validator:
    """A Draft 4 validator for a response body, with the model's definitions embedded.

    Swagger 2.0 schemas are a superset of JSON Schema draft 4; the `x-` extensions and
    keywords such as `example` or `discriminator` are simply ignored by jsonschema.
    """
    schema = response_schema(model, operation_id, status)
    if schema is None:
        raise KeyError(f"{model}.{operation_id} {status} has no response schema")
    # `allOf` rather than merging keys: in draft 4 a `$ref` hides its sibling keys, and the
    # root must hold `definitions` for `#/definitions/X` to resolve.
    root = {"allOf": [schema], "definitions": load_model(model).get("definitions", {})}
    return Draft4Validator(root, format_checker=FormatChecker(formats=("date-time",)))


class ResponseValidationError(ValueError):
    """A body does not match its operation's response schema."""


def validate_response(model: str, operation_id: str, status: int | str, body: Any) -> None:
    """Raise ResponseValidationError naming the first failures if `body` does not validate."""
    validator = response_validator(model, operation_id, status)
    errors = list(validator.iter_errors(body))
    if not errors:
        return
    first = best_match(errors)
    lines = []
    for err in sorted(errors, key=lambda e: list(e.absolute_path))[:5]:
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        lines.append(f"  at {where}: {err.message}")
    raise ResponseValidationError(
        f"{model}.{operation_id} {status}: {len(errors)} schema error(s), e.g. "
        f"{first.message}\n" + "\n".join(lines)
    )
