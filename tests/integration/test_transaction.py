"""The unit of work (shop.transaction): one commit at the end of the outermost block, a
rollback on any error, nested blocks joining the outer one."""

import pytest
import sqlalchemy as sa

from shop.catalog.models import Category
from shop.errors import Conflict
from shop.extensions import db
from shop.transaction import in_transaction, transaction


def _names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Category.name)))


def _add(name: str) -> None:
    db.session.add(Category(name=name, slug=name.lower(), position=1))
    db.session.flush()


def test_commits_once_at_the_end(app):
    with app.app_context():
        with transaction():
            _add("Kept")
            assert in_transaction()
        assert not in_transaction()
    assert _names(app) == ["Kept"]


@pytest.mark.parametrize("error", [Conflict("refused"), RuntimeError("boom"), KeyboardInterrupt])
def test_any_error_rolls_everything_back_and_is_raised(app, error):
    with app.app_context():
        expected = type(error) if isinstance(error, Exception) else error
        with pytest.raises(expected), transaction():
            _add("Lost")
            raise error
        assert not in_transaction()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 0
    assert _names(app) == []


def test_a_nested_block_joins_the_outer_one_and_never_commits_it(app):
    @transaction()
    def inner():
        _add("Inner")

    with app.app_context(), pytest.raises(RuntimeError), transaction():
        _add("Outer")
        inner()  # its end is not a commit: the outer block's failure undoes it too
        raise RuntimeError("the outer step fails after the inner one")
    assert _names(app) == []


def test_a_nested_failure_undoes_the_whole_unit(app):
    @transaction()
    def inner():
        _add("Inner")
        raise Conflict("no")

    with app.app_context(), pytest.raises(Conflict), transaction():
        _add("Outer")
        inner()
    assert _names(app) == []


def test_as_a_decorator_each_call_is_its_own_unit(app):
    @transaction()
    def add(name):
        _add(name)
        if name == "Bad":
            raise Conflict("no")

    with app.app_context():
        add("Good")
        with pytest.raises(Conflict):
            add("Bad")
        add("Also good")
    assert _names(app) == ["Also good", "Good"]


def test_a_failing_commit_is_rolled_back(app, monkeypatch):
    with app.app_context():
        session = db.session()

        def failing_commit():
            raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost"))

        monkeypatch.setattr(session, "commit", failing_commit)
        with pytest.raises(sa.exc.OperationalError), transaction():
            _add("Never")
        monkeypatch.undo()
        assert not in_transaction()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 0
