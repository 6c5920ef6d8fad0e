"""The integration tests' own fixture: every answer the API tests (test_api_*.py) and the
every-route battery (every body shape on every route) get from the API is checked against
/api/v1/openapi.json (tests/api_spec.py), so each of their requests is also a test that the
spec says exactly what is served."""

import pytest
from flask.testing import FlaskClient

from tests import api_spec


@pytest.fixture(autouse=True)
def _api_answers_as_documented(request, monkeypatch):
    name = request.module.__name__.rpartition(".")[2]
    if not (name.startswith("test_api_") or name == "test_every_route"):
        return
    sent = FlaskClient.open

    def open_and_check(self, *args, **kwargs):
        response = sent(self, *args, **kwargs)
        api_spec.check(response.request.method, response.request.path, response)
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_check)
