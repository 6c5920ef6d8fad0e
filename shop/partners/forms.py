"""The publisher's and the operator's forms for apps, and reading a rate typed in percent."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from shop.auth.forms import SignupForm

PERCENT = re.compile(r"\s*([0-9]{1,3})(?:[.,]([0-9]{1,2}))?\s*%?\s*")


def percent_to_bp(text: str | None) -> int:
    """ "5", "5.5", "5.25 %" (at most two decimals) -> basis points (500, 550, 525). Raises
    ValueError for anything else, or above 100 %."""
    match = PERCENT.fullmatch(text or "")
    if not match:
        raise ValueError(f"not a percentage: {text!r}")
    whole, decimals = match.groups()
    bp = int(whole) * 100 + int((decimals or "0").ljust(2, "0"))
    if bp > 10000:
        raise ValueError(f"more than 100 %: {text!r}")
    return bp


def bp_to_percent(bp: int) -> str:
    """525 -> "5.25", 500 -> "5", 550 -> "5.5": how a rate is shown in a form."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PublisherSignupForm(SignupForm):
    """The shop's sign-up form (name, email, password): a publisher's account."""


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):  # unknown ids are the service's to refuse, with a message
        pass


class AppForm(FlaskForm):
    name = StringField("App name", validators=[InputRequired(), Length(max=80)], filters=[_strip])
    origins = TextAreaField(
        "Allowed origins",
        validators=[InputRequired(message="Give at least one origin."), Length(max=2000)],
        description="Where your app's pages are served from, one per line, like "
        "https://yourapp.example. Only these may show the shop.",
    )
    rate = StringField(
        "Default commission rate (%)",
        validators=[InputRequired(), Length(max=10)],
        description="Of each item's price, up to two decimals (5.25 for 5.25 %). An operator "
        "approves it.",
    )
    theme_colour = StringField(
        "Theme colour",
        validators=[InputRequired(), Length(max=7)],
        filters=[_strip],
        description="Buttons and links of your embedded shop. Written #rrggbb.",
    )
    catalog = RadioField(
        "What your embedded shop shows",
        choices=[
            SelectChoice("all", "The whole catalog"),
            SelectChoice("chosen", "Only the categories and items I choose"),
        ],
        default="all",
        validate_choice=False,
    )
    categories = CheckboxesField("Categories", coerce=str)
    items = CheckboxesField("Items", coerce=str)


class ApproveForm(FlaskForm):
    rate = StringField(
        "Default rate (%)",
        validators=[Optional(), Length(max=10)],
        description="Leave as it is to approve at the rate the publisher asked for.",
    )


class RateForm(FlaskForm):
    target = SelectField("Applies to", choices=[], validate_choice=False)
    rate = StringField("Rate (%)", validators=[InputRequired(), Length(max=10)])
