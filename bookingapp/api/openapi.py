"""The OpenAPI 3.1 document of /api/v1, derived from the operations' own models.

Every operation is declared once (bookingapp/api/operations.py, @operation in views.py, with
its models in schemas.py); this module walks that registry: query parameters from the query
model, the request body and the responses from the body and response models (pydantic's JSON
Schema, their $defs hoisted to components). Only what is not a model is written here: the
error envelope, the headers and the prose. The schemathesis test
(tests/api/test_openapi_fuzz.py) checks every operation against the result."""
from __future__ import annotations

from copy import deepcopy
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from bookingapp.api.errors import STATUS_OF
from bookingapp.api.operations import REGISTRY, Operation
from bookingapp.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from bookingapp.api.rate_limits import DESCRIPTION as RATE_LIMITS_DESCRIPTION, RATE_LIMIT_HEADERS
from bookingapp.api.schemas_types import TEXT_RULE
from bookingapp.api.scopes import DESCRIPTIONS as SCOPE_DESCRIPTIONS, scopes_allowing
from bookingapp.notifications.webhooks import EVENT_TYPES, SIGNATURE_HEADER

REF = "#/components/schemas/{model}"


def ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


STR = {"type": "string"}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": list(STATUS_OF)},
                "message": STR,
                "param": {"type": "string", "description": "The field or parameter at fault (a path: address.street, "
                                                           "service_ids[0])"},
                "details": {"type": "object"},
            },
            "required": ["code", "message"],
        },
        "meta": {"type": "object", "properties": {"request_id": STR}, "required": ["request_id"]},
    },
    "required": ["error", "meta"],
}

REQUEST_ID = {"description": "The request id (yours, if you sent a valid X-Request-Id).", "schema": STR}
RATE_HEADERS = {name: {"description": text, "schema": STR} for name, text in RATE_LIMIT_HEADERS.items()}

ERRORS = {
    "400": "validation_error: a missing or invalid field, parameter or body, or an unknown one (see error.param)",
    "401": "unauthorized: the API key is missing, invalid or revoked",
    "403": "forbidden: the key's scope does not allow this operation, a test key tried to change live settings, "
           "or the key's business is not active",
    "404": "not_found: no such object in your business (a malformed id included)",
    "409": "slot_unavailable, hold_expired or idempotency_conflict",
    "413": "payload_too_large: the request body is over the size limit",
    "429": "rate_limit_exceeded",
    "500": "internal_error",
}


class _Components:
    """Collects model schemas under components/schemas as the operations are walked."""

    def __init__(self):
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def schema_of(self, type_: Any, mode: str) -> dict:
        """The JSON Schema of a model (as a $ref) or of a type built from models, with every
        model it uses hoisted to components."""
        schema = TypeAdapter(type_).json_schema(ref_template=REF, mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, _tidy(definition))
        if isinstance(type_, type) and schema.get("type") == "object" and "title" in schema:
            name = type_.__name__
            self.schemas.setdefault(name, _tidy(schema))
            return ref(name)
        return _tidy(schema)


def _tidy(schema: Any) -> Any:
    """Drop pydantic's titles and the `default: null` of fields that may be left out but
    not sent as null (a PATCH's name, for example)."""
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tidy = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties":
            tidy[key] = {name: _tidy(inner) for name, inner in value.items()}
        else:
            tidy[key] = _tidy(value)
    if "default" in tidy and tidy["default"] is None and not _allows_null(tidy):
        del tidy["default"]
    return tidy


def _allows_null(schema: dict) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_allows_null(branch) for branch in schema.get("anyOf", []) if isinstance(branch, dict))


def _without_null(schema: dict) -> dict:
    """A query parameter is absent or a value: never null."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1 and "anyOf" in schema:
        merged = {**branches[0], **{k: v for k, v in schema.items() if k not in ("anyOf", "default")}}
        if schema.get("default") is not None:
            merged["default"] = schema["default"]
        return merged
    return schema


def _headers() -> dict:
    return {"X-Request-Id": REQUEST_ID, **RATE_HEADERS}


def _parameters(op: Operation, components: _Components) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
                  for name in op.path_params]
    query = TypeAdapter(op.query).json_schema(ref_template=REF, mode="validation")
    required = set(query.get("required", []))
    for name, schema in query.get("properties", {}).items():
        schema = _tidy(_without_null(schema))
        description = schema.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    if op.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                           "description": "Retries with the same key and body get the first response."})
    return parameters


def _operation(op: Operation, components: _Components) -> dict:
    data = components.schema_of(op.response, "serialization")
    envelope = {"type": "object", "properties": {"data": data}, "required": ["data"]}
    if op.meta is not None:
        envelope["properties"]["meta"] = components.schema_of(op.meta, "serialization")
        envelope["required"].append("meta")
    responses = {str(op.status): {"description": op.summary, "headers": _headers(),
                                  "content": {"application/json": {"schema": envelope}}}}
    for code in op.errors:
        description = ERRORS[code]
        if op.rules and code == "400":
            description += f". Business rules: {op.rules}"
        if code == "403":
            description += f". This operation needs the `{op.scope}` scope"
        responses[code] = {"description": description, "headers": _headers(),
                           "content": {"application/json": {"schema": ref("Error")}}}
    allowed = [f"`{scope}`" for scope in scopes_allowing(op.scope)]
    allowed = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
    document = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                "description": f"Required scope: `{op.scope}` (keys of scope {allowed}).",
                "x-required-scope": op.scope}
    parameters = _parameters(op, components)
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {"required": op.body_required, "content": {
            "application/json": {"schema": components.schema_of(op.body, "validation")}}}
    document["responses"] = responses
    return document


def paths(components: _Components) -> dict:
    result: dict[str, dict] = {}
    for op in REGISTRY:
        result.setdefault(op.path, {})[op.method.lower()] = _operation(op, components)
    result["/openapi.json"] = {"get": {
        "operationId": "getOpenApiDocument", "summary": "This document", "tags": ["Meta"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "headers": {"X-Request-Id": REQUEST_ID},
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    return result


SCOPES_LIST = "\n".join(f"- `{scope}`: {says}" for scope, says in SCOPE_DESCRIPTIONS.items())

DESCRIPTION = f"""The booking API for integrators. JSON in and out; every list is paginated with
`page`/`limit` (default {DEFAULT_LIMIT}, max {MAX_LIMIT}) and answers `{{"data": [...], "meta": {{"page", "limit", "total"}}}}`.

**Authentication**: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Live keys start `bo_live_`,
test keys `bo_test_`. A key sees only its own business; any other object is a 404.

**Scopes**: each key has one, chosen when it is made; each operation names the one it needs
(`x-required-scope`, and its description). A request the key's scope does not allow is a 403 `forbidden`
whose message names both, with `details: {{"key_scope", "required_scope"}}`.

{SCOPES_LIST}

Keys made before scopes existed are `full`. A test key keeps its sandbox rule whatever its scope: it never
changes live settings.

**Errors**: `{{"error": {{"code", "message", "param"?, "details"?}}, "meta": {{"request_id"}}}}`; every response carries
`X-Request-Id`.

**Strict input**: an unknown query parameter or body field is a 400 naming it; body values are not coerced
("5" is not an integer, 1 is not a boolean). {TEXT_RULE} A body is at most the server's size limit (413
`payload_too_large`). A malformed id in a path is a 404 for that resource. `OPTIONS` on a path answers 204 with
its methods in `Allow`.

{RATE_LIMITS_DESCRIPTION}

**Idempotency**: send `Idempotency-Key` on POST; a retry with the same key and body gets the first response
(with `Idempotent-Replayed: true`), the same key with another body is a 409 `idempotency_conflict`.

**Webhooks**: events {", ".join(EVENT_TYPES)} are POSTed as `{{"id", "type", "created_at", "data"}}` with
`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>`, where hex = HMAC-SHA256(secret, "<X-Webhook-Id>.<t>.<raw body>").
Failed deliveries are retried with exponential backoff for a day."""


@lru_cache(maxsize=1)
def _document() -> dict:
    from bookingapp.api import views  # noqa: F401  (the operations register on import)

    components = _Components()
    all_paths = paths(components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Booking API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"apiKeyHeader": []}],
        "paths": all_paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "bo_live_... or bo_test_..."},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }


def document() -> dict:
    return deepcopy(_document())
