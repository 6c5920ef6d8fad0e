"""`Idempotency-Key` on the API's POSTs (issue #12, point 4).

The key, the hash of what was asked (method, path and the body as JSON, keys sorted) and the
answer are written in the same transaction as what the request did: either both are saved or
neither. A request whose key is already there gets the first answer again when it asked the
same thing, 409 `idempotency_key_reused` when it asked something else. Two requests with one
key at once: the second one's INSERT waits on the unique index for the first to commit
(PostgreSQL; SQLite writers queue anyway), then finds its row and replays it: one shipment.

Only answers that did something are kept (2xx): a refused request changed nothing, so trying it
again with the same key is safe and answers the same (or better, once the cause is fixed). Keys
are honoured IDEMPOTENCY_HOURS (24); the tick forgets older ones (`forget_old`)."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import request
from sqlalchemy.dialects import postgresql, sqlite

from shop import clock
from shop.errors import Conflict, InvalidInput
from shop.extensions import db
from shop.merchants.models import IdempotentRequest
from shop.transaction import transaction

IDEMPOTENCY_HOURS = 24
KEY_LENGTH = 255


class KeyReused(Conflict):
    """This Idempotency-Key was already used for a different request. Use a new key for a new
    request."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def check_key(raw: str | None) -> str | None:
    """The header's key (None without one). Raises InvalidInput for one that is empty, longer
    than KEY_LENGTH or not printable ASCII."""
    if raw is None:
        return None
    if not 1 <= len(raw) <= KEY_LENGTH or not all(" " < ch < "\x7f" for ch in raw):
        raise InvalidInput(
            f"An Idempotency-Key is 1 to {KEY_LENGTH} printable ASCII characters, no spaces "
            "(a UUID is a good one).",
            field="Idempotency-Key",
        )
    return raw


def request_hash(method: str, path: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _insert():
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(IdempotentRequest)
    return insert.on_conflict_do_nothing(index_elements=["merchant_id", "key"]).returning(
        IdempotentRequest.id
    )


def run_once(merchant_id: int, key: str | None, asked: str, do: Callable[[], Answer]) -> Answer:
    """`do()` once per (merchant, key): in one transaction with the key's row. Without a key,
    just `do()` in a transaction. Raises KeyReused, and whatever `do` raises (then nothing is
    kept)."""
    with transaction():
        if key is None:
            return do()
        now = clock.now()
        # A key past its time is forgotten here too (not only by the tick), so it can be reused.
        db.session.execute(
            sa.delete(IdempotentRequest).where(
                IdempotentRequest.merchant_id == merchant_id,
                IdempotentRequest.key == key,
                IdempotentRequest.created_at < now - timedelta(hours=IDEMPOTENCY_HOURS),
            )
        )
        row_id = db.session.execute(
            _insert(),
            {
                "merchant_id": merchant_id,
                "key": key,
                "request_hash": asked,
                "status": 0,
                "response": {},
                "created_at": now,
            },  # fmt: skip
        ).scalar_one_or_none()
        if row_id is None:
            kept = db.session.scalars(
                sa.select(IdempotentRequest)
                .where(IdempotentRequest.merchant_id == merchant_id, IdempotentRequest.key == key)
                .execution_options(populate_existing=True)
            ).one()
            if kept.request_hash != asked or not kept.status:
                raise KeyReused(field="Idempotency-Key")
            return Answer(kept.status, kept.response, replayed=True)
        answer = do()
        db.session.execute(
            sa.update(IdempotentRequest)
            .where(IdempotentRequest.id == row_id)
            .values(status=answer.status, response=answer.body)
        )
        return answer


@transaction()
def forget_old(now=None) -> int:
    """Delete the keys older than IDEMPOTENCY_HOURS. Returns how many."""
    cut = (now or clock.now()) - timedelta(hours=IDEMPOTENCY_HOURS)
    result = db.session.execute(
        sa.delete(IdempotentRequest).where(IdempotentRequest.created_at < cut)
    )
    return result.rowcount or 0


def post_once(model, act: Callable, *, body_optional: bool = False):
    """A POST of the API, whole: the Idempotency-Key checked, the body read as `model`
    (`body_optional`: none sent reads as `{}`), then `act(merchant, body)` -> Answer, once per
    key, answered (a replay marked). Raises what those steps raise."""
    from shop.api.blueprint import answer_of, current_merchant, json_body
    from shop.api.schemas import body_of

    merchant = current_merchant()
    key = check_key(request.headers.get("Idempotency-Key"))
    raw = {} if body_optional and not request.content_length else json_body()
    asked = body_of(model, raw)
    fingerprint = request_hash("POST", request.path, raw)
    return answer_of(run_once(merchant.id, key, fingerprint, lambda: act(merchant, asked)))
