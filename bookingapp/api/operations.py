"""The API's operations, each declared once with its models (bookingapp/api/schemas.py).

`@operation(...)` on a view registers its route, and around the view:
- reads the query string into the operation's query model (an unknown parameter is a 400
  naming it) and the JSON body into its body model (strict, closed);
- turns the first pydantic error into the envelope's 400 naming the field (`param` is its
  path: `address.street`, `service_ids[0]`);
- serializes what the view returns through the response model (and meta model) into
  {"data": ..., "meta": ...}.
It also records the API-key scope the operation needs (`scope=`, or derived from its method
and tag: bookingapp/api/scopes.py), which api/auth.py enforces before the view runs.
The OpenAPI document (bookingapp/api/openapi.py) walks the same registry, so what is
validated, what is answered and what is documented cannot drift apart."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from bookingapp.api.errors import ApiError, bad_request
from bookingapp.api.idempotency import idempotent
from bookingapp.api.schemas import NoQuery
from bookingapp.api.scopes import SCOPES, required_scope
from bookingapp.textguard import MAX_DEPTH, BadText

# The resource a path id names, for the 404 of an unknown or malformed id.
RESOURCE_OF = {
    "booking_id": "Booking", "service_id": "Service", "staff_id": "Staff member", "product_id": "Product",
    "review_id": "Review", "endpoint_id": "Webhook endpoint", "location_id": "Location",
}

DEFAULT_ERRORS = ("400", "401", "403", "404", "429", "500")


@dataclass
class Page:
    """What a list view returns: the items and the meta to send with them."""
    data: Any
    meta: dict


@dataclass
class Operation:
    method: str
    path: str                      # as documented: /bookings/{booking_id}
    operation_id: str
    summary: str
    tag: str
    query: type[BaseModel]
    body: type[BaseModel] | None
    body_required: bool
    response: Any                  # a model or a type such as list[Model]
    meta: Any
    status: int
    errors: tuple[str, ...]
    idempotent: bool
    rules: str | None              # business rules answered with 400/409, for the document
    scope: str = "full"            # the API-key scope it needs (api/scopes.py); unset, fail closed
    public: bool = False
    endpoint: str | None = None    # the Flask endpoint, once the view is registered
    adapter: TypeAdapter = field(init=False, repr=False)
    meta_adapter: TypeAdapter | None = field(init=False, repr=False)

    def __post_init__(self):
        self.adapter = TypeAdapter(self.response)
        self.meta_adapter = TypeAdapter(self.meta) if self.meta is not None else None

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


REGISTRY: list[Operation] = []
# The registered operations by Flask endpoint ("api.create_booking"), for the checks that
# run before a view (api/auth.py: the key's scope).
BY_ENDPOINT: dict[str, Operation] = {}
# Routes outside the registry (the document itself).
EXTRA_PATHS = {"/openapi.json": ["GET"]}


def operation(method: str, path: str, operation_id: str, summary: str, *, tag: str, response: Any,
              query: type[BaseModel] = NoQuery, body: type[BaseModel] | None = None, body_required: bool = True,
              meta: Any = None, status: int = 200, errors: tuple[str, ...] = DEFAULT_ERRORS,
              idempotent_key: bool = False, rules: str | None = None, public: bool = False,
              scope: str | None = None):
    """Declare and route one operation; the view receives path ids (UUIDs) and `query` /
    `body` (validated models) as keyword arguments and returns data or a Page.

    `scope` is the API-key scope it needs; left out, a GET needs `read` and a write the
    scope of its tag (scopes.WRITE_SCOPE_OF_TAG)."""
    from bookingapp.api import bp

    if idempotent_key and "409" not in errors:
        errors = (*errors, "409")
    if body is not None and "413" not in errors:
        errors = (*errors, "413")
    scope = scope or required_scope(method, tag)
    if scope not in SCOPES:
        raise ValueError(f"{operation_id}: unknown scope {scope!r} (one of {', '.join(SCOPES)}).")
    op = Operation(method.upper(), path, operation_id, summary, tag, query, body, body_required, response, meta,
                   status, tuple(errors), idempotent_key, rules, scope, public)
    REGISTRY.append(op)
    rule = re.sub(r"{(\w+)}", r"<uuid:\1>", path)

    def register(view):
        @wraps(view)
        def run(**path_args):
            kwargs = dict(path_args)
            kwargs["query"] = read_query(op.query)
            if op.body is not None:
                kwargs["body"] = read_body(op.body, required=op.body_required)
            result = view(**kwargs)
            return respond(op, result)

        handler = idempotent(run) if idempotent_key else run
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[op.method])
        op.endpoint = f"{bp.name}.{view.__name__}"
        BY_ENDPOINT[op.endpoint] = op
        return view

    return register


# --------------------------------------------------------------------------- reading


def read_query(model: type[BaseModel]) -> BaseModel:
    """The query string (the first value of each name) validated by the model."""
    try:
        return model.model_validate(request.args.to_dict(flat=True))
    except ValidationError as error:
        raise error_from(error, where="query") from None


def read_body(model: type[BaseModel], *, required: bool) -> BaseModel:
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: RequestEntityTooLarge, a 413
    if not raw:
        if required:
            raise bad_request("A JSON object body is required.", "body")
        return model()
    try:
        data = json.loads(raw)
    except RecursionError:
        # The parser's own recursion: name the field that nests too deeply.
        name = deep_field(raw)
        raise bad_request(BadText(name, "depth").message, name) from None
    except ValueError:  # includes bytes that are not UTF-8
        raise bad_request("The request body is not valid JSON.", "body") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.", "body")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise error_from(error, where="body") from None


def deep_field(raw: bytes) -> str:
    """The top-level field of a JSON object under which nesting passes MAX_DEPTH, found by
    scanning the text (no recursion); "body" when it is not inside a field."""
    text = raw.decode("utf-8", "replace")
    depth, in_string, escaped, current_key, token, key_ready = 0, False, False, None, [], False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
                token.append(char)
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:
                    key_ready = True
            else:
                token.append(char)
            continue
        if char == '"':
            in_string, token = True, []
        elif char == ":" and depth == 1 and key_ready:
            current_key, key_ready = "".join(token), False
        elif char in "{[":
            depth += 1
            if depth > MAX_DEPTH + 1:
                return current_key if current_key is not None else "body"
        elif char in "}]":
            depth -= 1
        elif char == ",":
            key_ready = False
    return "body"


def path_param(errors_loc: tuple) -> str:
    """A pydantic location as the envelope's param: address.street, service_ids[0]."""
    param = ""
    for part in errors_loc:
        if isinstance(part, int):
            param += f"[{part}]"
        else:
            param += f".{part}" if param else str(part)
    return param or "body"


_MESSAGES = {
    "missing": "{p} is required.",
    "string_type": "{p} must be a string.",
    "int_type": "{p} must be an integer.",
    "int_parsing": "{p} must be an integer.",
    "int_from_float": "{p} must be an integer.",
    "bool_type": "{p} must be true or false.",
    "bool_parsing": "{p} must be true or false.",
    "string_too_long": "{p} is too long ({max_length} characters at most).",
    "string_too_short": "{p} must not be empty.",
    "string_pattern_mismatch": "{p} must not be blank.",
    "greater_than_equal": "{p} must be at least {ge}.",
    "less_than_equal": "{p} must be at most {le}.",
    "list_type": "{p} must be an array.",
    "too_long": "{p} has too many items ({max_length} at most).",
    "dict_type": "{p} must be an object.",
    "model_type": "{p} must be an object.",
    "model_attributes_type": "{p} must be an object.",
    "none_required": "{p} must be null.",
}


def error_from(error: ValidationError, *, where: str) -> ApiError:
    """The envelope's 400 for the first problem: an unknown name first (it explains the
    rest), then a value sent wrong, then a value missing."""
    problems = error.errors(include_url=False, include_input=False)
    problems.sort(key=lambda p: (p["type"] != "extra_forbidden", p["type"] == "missing"))
    first = problems[0]
    param = path_param(first["loc"])
    kind, context = first["type"], first.get("ctx") or {}
    if kind == "extra_forbidden":
        what = "query parameter" if where == "query" else "field"
        return bad_request(f"Unknown {what} {param!r}.", param)
    if kind == "bad_text":
        return bad_request(BadText(param, context["problem"]).message, param)
    if kind == "string_unicode":  # pydantic's own refusal of a lone surrogate
        return bad_request(BadText(param, "surrogate").message, param)
    if kind in _MESSAGES:
        return bad_request(_MESSAGES[kind].format(p=param, **context), param)
    # The API's own types (schemas_types.py) say what is wrong after the field's name.
    return bad_request(f"{param} {first['msg']}.", param)


# --------------------------------------------------------------------------- answering


def respond(op: Operation, result: Any):
    if isinstance(result, Response):  # a 304 Not Modified: no body to validate
        return result
    if isinstance(result, Page):
        data, meta = result.data, result.meta
    else:
        data, meta = result, None
    body = {"data": op.adapter.dump_python(op.adapter.validate_python(data), mode="json", by_alias=True,
                                           exclude_unset=True)}
    if op.meta_adapter is not None:
        body["meta"] = op.meta_adapter.dump_python(op.meta_adapter.validate_python(meta), mode="json",
                                                   by_alias=True, exclude_unset=True)
    response = jsonify(body)
    response.status_code = op.status
    return response


# --------------------------------------------------------------------------- paths


def _template_regex(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def match_path(api_path: str) -> tuple[list[str], dict[str, str]] | None:
    """The documented methods of the path template this path fits (ids not checked), and
    the values of its ids; None when no operation has such a path."""
    candidates = [(op.path, op.method) for op in REGISTRY] + [(p, m) for p, ms in EXTRA_PATHS.items() for m in ms]
    matches = [(path, method, found.groupdict()) for path, method in candidates
               if (found := _template_regex(path).match(api_path))]
    if not matches:
        return None
    # A literal segment wins over an id (/bookings/hold is not a booking id).
    fewest = min(len(values) for _, _, values in matches)
    matches = [m for m in matches if len(m[2]) == fewest]
    return [method for _, method, _ in matches], matches[0][2]


def allowed_methods(api_path: str) -> list[str] | None:
    """What the Allow header says for a path: its operations' methods, HEAD beside GET,
    and OPTIONS; None for an unknown path."""
    matched = match_path(api_path)
    if matched is None:
        return None
    methods = list(dict.fromkeys(matched[0]))
    if "GET" in methods:
        methods.append("HEAD")
    return [*methods, "OPTIONS"]


def malformed_id(values: dict[str, str]) -> ApiError | None:
    """A 404 for the first path id that is not a UUID, named for its resource."""
    for name, value in values.items():
        try:
            uuid.UUID(value)
        except ValueError:
            return ApiError("not_found", f"{RESOURCE_OF.get(name, 'Resource')} not found.")
    return None
