"""The API against its own description (issue #12, point 5), on both databases.

- The document is OpenAPI 3.1 and names every route of the API blueprint, with its methods,
  and nothing else; /api/docs draws it from our own host.
- Schemathesis generates requests for every operation from /api/v1/openapi.json, valid ones
  and invalid ones (wrong types, missing fields, strings where numbers go, out-of-range values),
  with a merchant's key, with a wrong key and with none. Every answer must be documented:
  no 5xx, a listed status, its media type and headers, a body valid against its schema (an
  error's code among those listed for it); a request that breaks the schema must be refused;
  a request without a valid key must get 401. Each operation is tried on made-up path values
  and on the merchant's real shipments, endpoint and event, so 2xx answers are checked too.
- And every request of the other API tests is checked the same way (tests/integration/
  conftest.py)."""

import re
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from flask import url_for
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shop.api import openapi
from tests import api_spec
from tests.integration.test_api_keys import auth, new_merchant
from tests.integration.test_api_shipments import body, post

LABELS = [result.ok().label for result in api_spec.SCHEMA.get_all_operations()]
EXAMPLES = {"positive": 14, "negative": 10}
# "A request valid by the schema is accepted" can't hold for rules no schema can say: a branch
# code of the right shape that no branch has is 422 branch_unavailable, as documented.
NOT_OURS = [positive_data_acceptance]
WRONG_KEY = "sk_" + "x" * 43


def test_the_document_is_openapi_3_1_and_names_every_route(app, client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    document = answer.get_json()
    assert document["openapi"] == "3.1.0" and document == openapi.document()
    routed = {
        (rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in {"api.openapi_json"}
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    routed = {(path.replace("{int:", "{"), method) for path, method in routed}
    described = {
        (path, method) for path, methods in document["paths"].items() for method in methods
    }
    assert described == routed
    assert len({op["operationId"] for m in document["paths"].values() for op in m.values()}) == (
        len(described)
    )


def test_the_document_needs_no_key_and_is_cached(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and "public" in answer.headers["Cache-Control"]


def test_the_docs_page_draws_the_document_from_our_own_host(app, client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    with app.test_request_context():
        assert f'data-spec-url="{url_for("api.openapi_json")}"' in html
    assert "vendor/redoc/redoc.standalone.js" in html and "https://" not in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    script = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert script.status_code == 200 and len(script.data) > 500_000


@pytest.fixture
def seeded(app, client, make):
    """A merchant with a prepaid and a COD shipment, a webhook endpoint and events."""
    merchant_id, secret = new_merchant(app)
    branch = make.branch(name="7-Eleven Ayala Triangle", frozen=True, shelf_capacity=50)
    make.branch(name="7-Eleven Legazpi", frozen=True, shelf_capacity=50)
    prepaid = post(client, secret, body(branch)).get_json()
    cod = post(
        client, secret, body(branch, reference="ORDER-1002", payment="cod", amount_due=125_000)
    ).get_json()
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://hooks.tindahan.example/cliqq"},
        headers=auth(secret),
    ).get_json()
    events = client.get("/api/v1/events", headers=auth(secret)).get_json()["data"]
    assert prepaid["status"] == cod["status"] == "label_issued" and events
    return {
        "secret": secret,
        "tracking_number": [prepaid["tracking_number"], cod["tracking_number"]],
        "endpoint_id": [endpoint["id"]],
        "event_id": [event["id"] for event in events],
        "branch_code": branch.code,
    }


def _strategy(operation, mode: str, seeded: dict):
    """Cases with made-up path values, and (for an operation on an object) with the
    merchant's own."""
    generation_mode = schemathesis.GenerationMode(mode)
    made_up = operation.as_strategy(generation_mode=generation_mode)
    names = [param.name for param in operation.path_parameters]
    if not names or mode == "negative":
        return made_up
    real = st.fixed_dictionaries({name: st.sampled_from(seeded[name]) for name in names})
    return st.one_of(
        made_up,
        real.flatmap(
            lambda values: operation.as_strategy(
                generation_mode=generation_mode, path_parameters=values
            )
        ),
    )


_SCHEMAS: dict[int, object] = {}


def _operation(app, label: str):
    """The operation as schemathesis reads it from this app's /api/v1/openapi.json (each of
    its probes, like the one without a key, goes to the same app)."""
    if id(app) not in _SCHEMAS:
        _SCHEMAS[id(app)] = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return _SCHEMAS[id(app)].find_operation_by_label(label)


def _run(operation, strategy, headers: dict, examples: int, statuses: list) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case):
        response = case.call_and_validate(headers=headers, excluded_checks=NOT_OURS)
        statuses.append(response.status_code)

    run()


def _id(label: str) -> str:
    return label.replace(" ", "_").replace("/", "|")


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("label", LABELS, ids=_id)
def test_generated_requests_with_a_key_answer_as_documented(app, seeded, label, mode):
    operation = _operation(app, label)
    statuses: list[int] = []
    _run(
        operation,
        _strategy(operation, mode, seeded),
        auth(seeded["secret"]),
        EXAMPLES[mode],
        statuses,
    )
    assert statuses and all(status < 500 for status in statuses)


@pytest.mark.parametrize("label", LABELS, ids=_id)
def test_generated_requests_with_a_wrong_key_are_refused(app, seeded, label):
    operation = _operation(app, label)
    statuses: list[int] = []
    strategy = _strategy(operation, "positive", seeded)
    _run(operation, strategy, {"Authorization": f"Bearer {WRONG_KEY}"}, 6, statuses)
    _run(operation, strategy, {}, 4, statuses)
    # 401, until the address has sent too many wrong keys: then 429 too_many_bad_keys. An
    # address or header the shop can't read at all is refused (400) before any key is read.
    assert 401 in statuses and set(statuses) <= {400, 401, 429}, statuses


def test_docs_list_every_error_code_the_spec_lists():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    table = guide.split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = {
        (int(status), code)
        for status, code in re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", table, re.M)
    }
    listed = {
        (int(status), code)
        for methods in openapi.document()["paths"].values()
        for operation in methods.values()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
        for code in answer["content"]["application/json"]["schema"]["allOf"][1]["properties"][
            "error"
        ]["properties"]["code"]["enum"]
    }
    assert listed - documented == set()
    # and the guide promises nothing the spec doesn't (405: a method no operation has)
    assert documented - listed <= {(405, "method_not_allowed")}
