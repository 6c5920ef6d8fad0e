"""The shapes of the API's answers (pydantic). The views build every JSON body they serve
through these classes, and /api/v1/openapi.json describes the same classes (shop.api.openapi),
so the spec can't say one thing while a view serves another: a field added to a view without
its model is a TypeError in the tests, not a quiet difference. Moments are RFC 3339 in UTC
("2026-12-01T08:00:00Z"); amounts are centavos."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shop.fulfillment.models import PackageState

Status = Literal[tuple(state.value for state in PackageState)]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict:
        """The JSON-ready dict (codes a shipment doesn't have are left out, not null)."""
        return self.model_dump(mode="json", exclude_unset=True)


class ErrorDetail(Out):
    code: str = Field(
        description="What went wrong, for programs: one of docs/api.md's error codes "
        "(`unauthorized`, `parcel_too_large`, `branch_unavailable`, ...)."
    )
    message: str = Field(description="What went wrong, for people: a sentence in English.")
    field: str | None = Field(
        description="The field, parameter or header at fault (`parcel.length_cm`, `status`, "
        "`Idempotency-Key`), or null."
    )


class ErrorOut(Out):
    error: ErrorDetail


class BranchRef(Out):
    code: str
    name: str


class RecipientOut(Out):
    name: str
    phone: str
    email: str


class ParcelOut(Out):
    weight_g: int
    frozen: bool


class EventOut(Out):
    at: AwareDatetime
    status: Status = Field(description="The package's state after this event.")
    text: str = Field(description="What happened, in the words of the tracking page.")
    place: str = Field(description="Where it happened (a branch's name, the DC).")


class ShipmentOut(Out):
    tracking_number: str = Field(description="The ECMS tracking number (Code 128 on the label).")
    reference: str = Field(description="The merchant's own order number, as sent.")
    status: Status
    payment: Literal["prepaid", "cod"]
    amount_due: int = Field(description="What the counter collects, in centavos (0 if prepaid).")
    claim_code: str | None = Field(
        default=None, description="Prepaid only: the CLAIM CODE the buyer shows at the counter."
    )
    reference_code: str | None = Field(
        default=None, description="COD only: the PAY & CLAIM code the buyer pays with."
    )
    branch: BranchRef = Field(description="The branch the buyer picks the package up at.")
    drop_off_branch_code: str | None = Field(
        description="Where the seller drops the parcel off, if not at the DC."
    )
    recipient: RecipientOut
    parcel: ParcelOut
    label_url: str = Field(description="The label (PDF), with this API's key.")
    created_at: AwareDatetime
    events: list[EventOut] = Field(description="The package's timeline, oldest first.")


class ShipmentListed(Out):
    tracking_number: str
    reference: str
    status: Status
    payment: Literal["prepaid", "cod"]
    amount_due: int
    branch_code: str
    created_at: AwareDatetime
    url: str = Field(description="The shipment's own address in this API.")


class ShipmentPage(Out):
    data: list[ShipmentListed] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class ReturnOut(Out):
    return_code: str = Field(description="The RETURN CODE the buyer drops the parcel off with.")
    tracking_number: str = Field(description="The return's own tracking number.")
    shipment_tracking_number: str = Field(description="The shipment being returned.")
    expires_at: AwareDatetime = Field(description="The return code's end.")


class BranchOut(Out):
    code: str
    name: str
    address: str
    city: str
    province: str
    lat: float
    lng: float
    hours: str
    open_now: bool
    frozen: bool = Field(description="Whether the branch keeps frozen parcels.")
    open_capacity: int = Field(description="Free shelf slots now.")
    distance_km: float | None = Field(description="From `near`, if it was given.")
    available: bool = Field(description="Whether a shipment may be sent there now.")
    unavailable_reason: str | None = Field(description="Why not, when `available` is false.")


class BranchList(Out):
    data: list[BranchOut]


class EndpointOut(Out):
    id: int
    url: str
    description: str
    event_types: list[str] | None = Field(description="null: every `shipment.*` event.")
    enabled: bool
    disabled_reason: str | None
    secret_hint: str = Field(description="The secret's last characters, to tell secrets apart.")
    created_at: AwareDatetime
    secret: str | None = Field(
        default=None,
        description="The signing secret (`whsec_...`): in the answer that made the endpoint only.",
    )


class EndpointList(Out):
    data: list[EndpointOut]


class ShipmentEventData(Out):
    tracking_number: str
    reference: str
    status: Status
    previous_status: Status | None
    at: AwareDatetime


class TestEventData(Out):
    endpoint_id: int = Field(description="The endpoint the test was sent to.")
    message: str


class FeedEvent(Out):
    id: int = Field(description="Ascending; also the `id` in every delivery's body.")
    type: Annotated[str, Field(pattern=r"^(shipment\.[a-z_]+|webhook\.test)$")] = Field(
        description="`shipment.<status>`, or `webhook.test` for a test sent from the console."
    )
    created_at: AwareDatetime
    data: ShipmentEventData | TestEventData


class EventList(Out):
    data: list[FeedEvent] = Field(description="In id order.")


class Queued(Out):
    queued: int = Field(description="How many deliveries were queued (one per endpoint).")
