"""Whether an answer of the API is what /api/v1/openapi.json says it is: its status is one the
operation lists, its media type that status's, and its body valid against that status's schema
(for an error, the codes listed for it). tests/integration/conftest.py checks every answer the
API tests get; test_api_schema.py also checks the answers to schemathesis's requests."""

from functools import cache

import jsonschema_rs
import schemathesis

from shop.api import openapi

BASE = "/api/v1"
DOCUMENT = openapi.document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
# What a path or method that is no operation answers: no such endpoint, or (a body sent with
# it, read before the path is) the body refused as any operation refuses it.
UNROUTED = {
    404: "not_found",
    405: "method_not_allowed",
    **{status: codes[0] for status, codes in openapi.BODY_ERRORS.items()},
}


class NotAsDocumented(AssertionError):
    pass


def operation_of(method: str, path: str):
    return SCHEMA.find_operation_by_path(method.upper(), path.removeprefix(BASE))


def check(method: str, path: str, response) -> None:
    """Raise NotAsDocumented unless `response` (a Flask test response to `method path`) is
    what the spec says."""
    if not path.startswith(BASE + "/") or path == BASE + "/openapi.json":
        return
    if method.upper() in ("OPTIONS", "HEAD"):
        return  # HTTP's own (Flask answers them for every route); not operations of the API
    said = f"{method} {path} answered {response.status_code}"
    operation = operation_of(method, path)
    if operation is None:
        # No such endpoint, or not with this method: the one error body.
        code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
        if UNROUTED.get(response.status_code) != code:
            raise NotAsDocumented(f"{said} {code!r}: not an operation of the spec")
        return
    documented = DOCUMENT["paths"][operation.path][operation.method.lower()]["responses"]
    if str(response.status_code) not in documented:
        raise NotAsDocumented(f"{said}, a status the spec doesn't list ({sorted(documented)})")
    content = documented[str(response.status_code)].get("content")
    if content is None:
        if response.data:
            raise NotAsDocumented(f"{said} with a body, where the spec says none")
        return
    if response.mimetype not in content:
        raise NotAsDocumented(f"{said} as {response.mimetype}, not {sorted(content)}")
    if response.mimetype != "application/json":
        return
    problems = [
        f"{error.message} (at {'/'.join(map(str, error.instance_path)) or 'the top'})"
        for error in _validator(
            operation.path, operation.method.lower(), response.status_code
        ).iter_errors(response.get_json())
    ]
    if problems:
        raise NotAsDocumented(f"{said}: {'; '.join(problems)}")


@cache
def _validator(path: str, method: str, status: int):
    """The JSON Schema of one answer, with the document's components to resolve its $refs."""
    answer = DOCUMENT["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": DOCUMENT["components"]})
