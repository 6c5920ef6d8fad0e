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
    assert "Being prepared by the seller" in page and branch in page
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
    done, now = _stages(page)
    assert done == ["Being prepared by the seller"]
    assert now == "Received at the distribution center"


STAGE = re.compile(
    r'<li class="stage stage--(\w+)"[^>]*>.*?<span class="stage__text">([^<]+)', re.S
)


def _stages(page: str) -> tuple[list[str], str | None]:
    """The stages marked done, and the one marked current, as the page lists them."""
    found = STAGE.findall(page)
    return [t for s, t in found if s == "done"], next((t for s, t in found if s == "current"), None)


def _move(app, number, *actions):
    import sqlalchemy as sa

    from shop.extensions import db
    from shop.fulfillment import service
    from shop.fulfillment.models import Package

    with app.app_context():
        package = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        for action in actions:
            service.transition(package, action)
        db.session.commit()


def test_a_package_page_lists_every_stage_done_and_to_come(app, client, make):
    number, branch = _tracking_number(client, make)
    page = text(client.get(f"/track/{number}"))
    assert page.count('class="stage stage--') == 6  # from label to pickup
    done, now = _stages(page)
    assert done == [] and now.startswith("Being prepared")
    assert 'aria-current="step"' in page and page.count("(to come)") == 5
    assert "Next: the seller hands it to the distribution center" in page
    _move(app, number, "drop_off", "accept", "dispatch")
    page = text(client.get(f"/track/{number}"))
    done, now = _stages(page)
    assert len(done) == 3 and now == "On its way to the branch"
    assert "Next: it arrives at the branch" in page
    _move(app, number, "arrive")
    page = text(client.get(f"/track/{number}"))
    assert "Pick it up by" in page and "Next:" not in page
    _move(app, number, "claim")
    done, now = _stages(text(client.get(f"/track/{number}")))
    assert len(done) == 6 and now is None


def test_a_package_off_its_way_shows_what_happened(app, client, make):
    number, _ = _tracking_number(client, make)
    _move(app, number, "drop_off", "reject")
    page = text(client.get(f"/track/{number}"))
    assert 'class="stage ' not in page
    assert "didn't pass the check" in page and "Being prepared by the seller" in page


def test_the_track_box_takes_a_number_as_typed(client, make):
    number, _ = _tracking_number(client, make)
    page = text(client.get("/track"))
    assert '<label class="field__label" for="number">Tracking number</label>' in page
    typed = f"{number[:4]} {number[4:8]}-{number[8:]}"
    response = client.get("/track", query_string={"number": typed})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/track/{number}"


@pytest.mark.parametrize(("typed", "says"), [("", "type"), ("7123", "digits"), ("abc", "digits")])
def test_the_track_box_says_what_is_wrong_and_keeps_what_was_typed(client, typed, says):
    response = client.get("/track", query_string={"number": typed})
    assert response.status_code == 422
    page = text(response)
    assert says in page.lower() and 'aria-invalid="true"' in page
    assert f'value="{typed}"' in page


def test_the_track_box_and_the_package_page_share_one_limit(client):
    statuses = [client.get("/track", query_string={"number": "7"}).status_code for _ in range(20)]
    statuses += [client.get(f"/track/{generate(CodeType.TRACKING)}").status_code for _ in range(11)]
    assert statuses[:30] == [422] * 20 + [404] * 10 and statuses[30] == 429
