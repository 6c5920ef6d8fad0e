"""The shapes of the API's request bodies (pydantic): every field typed and bounded, unknown
fields refused, no coercion (a number sent as a string is refused, not read). What a field
means for the business (a real phone number, a branch that takes the parcel, a parcel a shelf
holds) is the services' to decide; this is only the shape, and `body_of` turns a pydantic
refusal into the API's error, naming the field ("parcel.length_cm")."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shop.errors import InvalidInput
from shop.notify import webhook_http, webhooks


class UnknownField(InvalidInput):
    """The body has a field this endpoint doesn't take."""

    code = "unknown_field"


def bounded_text(longest: int, shortest: int = 1):
    return Annotated[
        str,
        StringConstraints(min_length=shortest, max_length=longest, pattern=r"^[^\x00-\x1f\x7f]*$"),
    ]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RecipientIn(Strict):
    """The buyer who picks the package up (told by text message and mail)."""

    name: bounded_text(120)
    phone: Annotated[bounded_text(32), Field(description="A Philippine mobile number.")]
    email: bounded_text(254)


class ParcelIn(Strict):
    # Bounded far above what a branch takes, so the size rule (30 x 30 x 30 cm, 10 kg) answers
    # with its own error, parcel_too_large, rather than a generic one.
    length_cm: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
    width_cm: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
    height_cm: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
    weight_g: Annotated[int, Field(gt=0, le=10_000_000)]
    frozen: bool = False
    contents: bounded_text(200, 2) = "Merchandise"


class ShipmentIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reference": "ORDER-1001",
                    "payment": "cod",
                    "amount_due": 125000,
                    "branch_code": "0412",
                    "recipient": {
                        "name": "Juan dela Cruz",
                        "phone": "0917 123 4567",
                        "email": "juan@example.com",
                    },
                    "parcel": {"length_cm": 20, "width_cm": 15.5, "height_cm": 10,
                               "weight_g": 800},
                }
            ]
        }
    )  # fmt: skip

    reference: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$"),
        Field(description="Your own order number: one shipment each."),
    ]
    payment: Annotated[
        Literal["prepaid", "cod"],
        Field(description="`prepaid`: a CLAIM CODE. `cod`: the buyer pays at the counter."),
    ]
    amount_due: Annotated[
        int, Field(ge=0, le=100_000_000, description="COD only: what to collect, in centavos.")
    ] = 0
    branch_code: Annotated[
        bounded_text(16), Field(description="The pickup branch (GET /branches).")
    ]
    drop_off_branch_code: Annotated[
        bounded_text(16) | None,
        Field(description="A store where the seller drops the parcel off, instead of the DC."),
    ] = None
    recipient: RecipientIn
    parcel: ParcelIn


class CancelIn(Strict):
    reason: bounded_text(500, 0) = ""


class BranchIn(Strict):
    branch_code: bounded_text(16)


class ReturnIn(Strict):
    """No field yet: the return is of the shipment's one package."""


class EndpointIn(Strict):
    url: bounded_text(webhook_http.MAX_URL)
    description: bounded_text(webhooks.MAX_DESCRIPTION, 0) = ""
    event_types: Annotated[list[bounded_text(40)], Field(min_length=1, max_length=40)] | None = None


class ResendIn(Strict):
    endpoint_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


def _field(location: tuple) -> str | None:
    return ".".join(str(part) for part in location) or None


def _message(error: dict) -> str:
    field = _field(error["loc"]) or "body"
    kind = error["type"]
    if kind == "missing":
        return f"“{field}” is required."
    if kind == "extra_forbidden":
        return f"This endpoint takes no field “{field}”."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"“{field}” must be a whole number (in JSON, not in quotes)."
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"“{field}” must be a number (in JSON, not in quotes)."
    if kind in ("bool_type", "bool_parsing"):
        return f"“{field}” must be true or false."
    if kind in ("string_type",):
        return f"“{field}” must be text."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"“{field}” must be a JSON object."
    if kind == "literal_error":
        return f"“{field}”: {error['msg'].replace('Input should be', 'must be')}."
    return f"“{field}”: {error['msg']}."


def body_of(model: type[Strict], body) -> Strict:
    """`body` (parsed JSON) as `model`. Raises UnknownField or InvalidInput, naming the first
    field at fault."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_context=False)[0]
        field = _field(first["loc"])
        if first["type"] == "extra_forbidden":
            raise UnknownField(_message(first), field=field) from None
        raise InvalidInput(_message(first), field=field) from None
