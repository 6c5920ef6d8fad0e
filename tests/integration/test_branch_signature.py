"""The operator's per-branch setting of seed 004's signature at pickup (issue #10, point 4):
set on the branch's screen, it makes that branch's claim panel ask for a signature."""

import pytest

from shop.auth.models import Role
from shop.branches.models import Branch
from tests.conftest import csrf_token, log_in, text


@pytest.fixture
def operator(app, make):
    branch = make.branch(code="0412", name="7-Eleven Ayala Triangle")
    client = app.test_client()
    assert log_in(client, make.user(role=Role.ADMIN).email).status_code == 302
    return client, branch


def _set(client, choice, code="0412"):
    token = csrf_token(client, "/admin/branches/0412")
    return client.post(
        f"/admin/branches/{code}/signature", data={"csrf_token": token, "signature": choice}
    )


def test_the_operator_turns_the_signature_on_and_off(app, make, operator):
    client, branch = operator
    page = text(client.get("/admin/branches/0412"))
    assert "Signature at pickup" in page
    answer = _set(client, "required")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/branches/0412")
    assert make.get(Branch, branch.id).signature_required is True
    assert "now asks the shopper to sign" in text(client.get("/admin/branches/0412"))
    assert _set(client, "not_required").status_code == 303
    assert make.get(Branch, branch.id).signature_required is False


@pytest.mark.parametrize("choice", ["", "yes", "REQUIRED", "required\x00", "x" * 5000])
def test_another_choice_is_refused_and_changes_nothing(make, operator, choice):
    client, branch = operator
    answer = _set(client, choice)
    assert answer.status_code in (400, 422)
    assert make.get(Branch, branch.id).signature_required is False


def test_an_unknown_branch_is_a_404(operator):
    client, _ = operator
    assert _set(client, "required", code="9999").status_code == 404
    assert _set(client, "required", code="DC-PASIG").status_code == 404


def test_only_an_operator_sets_it(app, make, operator):
    _, branch = operator
    for role in (Role.CLERK, Role.DC, Role.SHOPPER):
        client = app.test_client()
        assert log_in(client, make.user(role=role, branch_id=branch.id).email).status_code == 302
        token = csrf_token(client, "/account")
        answer = client.post(
            "/admin/branches/0412/signature", data={"csrf_token": token, "signature": "required"}
        )
        assert answer.status_code == 403
    assert make.get(Branch, branch.id).signature_required is False
