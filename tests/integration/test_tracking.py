"""Public tracking: state and timeline, no personal data, typos caught by the check digit."""

import re

import pytest

from shop.codes import CodeType, generate
from tests.conftest import text
from tests.integration.test_checkout import _add, _checkout


def _tracking_number(client, make) -> tuple[str, str]:
    item = make.item(name="Turon Mix")
    branch = make.branch(name="7-Eleven Ortigas Center")
    _add(client, item)
    page = text(client.get(_checkout(client, branch).headers["Location"]))
    return re.search(r'href="/track/(7\d{11})"', page).group(1), branch.name


def test_tracking_shows_state_and_timeline_without_personal_data(app, client, make):
    number, branch = _tracking_number(client, make)
    response = app.test_client().get(f"/track/{number}")  # anyone, no session
    page = text(response)
    assert response.status_code == 200
    assert "Label issued" in page and branch in page
    assert "Juan" not in page and "0917" not in page and "juan@example.com" not in page


def test_tracking_accepts_spaces_and_dashes(client, make):
    number, _ = _tracking_number(client, make)
    grouped = f"{number[:4]}-{number[4:8]} {number[8:]}"
    assert client.get(f"/track/{grouped}").status_code == 200


@pytest.mark.parametrize("mangle", ["typo", "swap"])
def test_a_mistyped_tracking_number_is_caught_by_the_check_digit(client, make, mangle):
    number, _ = _tracking_number(client, make)
    if mangle == "typo":
        wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    else:
        i = next(i for i in range(1, 11) if number[i] != number[i + 1])
        wrong = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    response = client.get(f"/track/{wrong}")
    assert response.status_code == 422
    assert "typo" in text(response)


@pytest.mark.parametrize("bad", ["abc", "7" * 40, "1" * 14, "%00"])
def test_bad_tracking_numbers(client, bad):
    response = client.get(f"/track/{bad}")
    assert response.status_code in (400, 422)


def test_an_unknown_tracking_number_is_404(client):
    response = client.get(f"/track/{generate(CodeType.TRACKING)}")
    assert response.status_code == 404
    assert "no package" in text(response)


def test_tracking_lookups_are_rate_limited(client):
    statuses = [client.get(f"/track/{generate(CodeType.TRACKING)}").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_a_transition_writes_its_event_and_shows_on_the_timeline(app, client, make):
    import sqlalchemy as sa

    from shop.extensions import db
    from shop.fulfillment import service
    from shop.fulfillment.models import Package, PackageEvent, PackageState

    number, _ = _tracking_number(client, make)
    with app.app_context():
        package = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        service.transition(package, "drop_off", actor="dc@demo.cliqq.ph", place="DC Pasig")
        db.session.commit()
        with pytest.raises(service.InvalidTransition, match="received can't be claim"):
            service.transition(package, "claim", actor="clerk")
        db.session.rollback()
        package = db.session.get(Package, package.id)
        assert package.state is PackageState.RECEIVED
        events = db.session.scalars(sa.select(PackageEvent)).all()
        assert [(e.action, e.from_state, e.to_state, e.place) for e in events] == [
            ("drop_off", PackageState.LABEL_ISSUED, PackageState.RECEIVED, "DC Pasig")
        ]
    page = text(client.get(f"/track/{number}"))
    assert page.index("Received at the distribution center") < page.index("Label issued")
