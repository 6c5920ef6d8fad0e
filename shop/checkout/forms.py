from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TelField
from wtforms.validators import AnyOf, InputRequired, Length

from shop.checkout.models import PaymentMethod


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckoutForm(FlaskForm):
    name = StringField(
        "Name of the person picking up",
        validators=[InputRequired(), Length(max=120)],
        filters=[_strip],
    )
    phone = TelField(
        "Mobile number",
        validators=[InputRequired(message="Enter a mobile number."), Length(max=32)],
        filters=[_strip],
        description="So we can reach you about this order. Example: 0917 123 4567.",
    )
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)], filters=[_strip])
    # No default on purpose: cash on delivery is always an explicit choice.
    payment = StringField(
        "How would you like to pay?",
        validators=[
            InputRequired(message="Choose how you'd like to pay."),
            AnyOf([m.value for m in PaymentMethod], message="Choose how you'd like to pay."),
        ],
    )
    idempotency_key = HiddenField(validators=[InputRequired(), Length(max=64)])
    expected_total = HiddenField()

    def speak_of_digital(self) -> None:
        """Words for a cart of digital items only: nobody picks anything up."""
        self.name.label.text = "Your name"
        self.phone.label.text = "Your mobile number"
