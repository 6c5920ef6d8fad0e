"""The operator console's forms. Field names are the console's own (item_name, not name):
each form needs fields no other page's form sends, so a body meant for another route never
passes validation here. The forms only parse; the rules (price > 0, stock >= 0, positive sizes,
unique slugs) are the services'."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from shop.money import Money


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _whole(form, field):
    """ASCII digits only (int() would take "١٢", "1_000" or " 7 "), at most 9 of them."""
    data = field.data or ""
    if not (data.isascii() and data.isdigit() and len(data) <= 9):
        raise ValidationError("Enter a whole number (digits only).")


def whole(form, name: str) -> int | None:
    """The whole number a validated field holds (None when empty)."""
    data = getattr(form, name).data
    return int(data) if data else None


def _pesos(form, field):
    try:
        Money.parse(field.data or "")
    except ValueError:
        raise ValidationError("Enter an amount in pesos, like 125 or 1,299.50.") from None


def centavos(text: str) -> int:
    return Money.parse(text).centavos


WHOLE = [InputRequired(message="Enter a whole number."), _whole]


class ItemForm(FlaskForm):
    item_name = StringField("Name", validators=[InputRequired(), Length(max=120)], filters=[_strip])
    slug = StringField(
        "Web address (slug)",
        validators=[InputRequired(), Length(max=120)],
        filters=[_strip],
        description="Lower-case letters, digits and dashes: /items/<slug>.",
    )
    category = SelectField("Category", coerce=str, validate_choice=True)
    price_pesos = StringField(
        "Price (₱)", validators=[InputRequired(), Length(max=20), _pesos], filters=[_strip]
    )
    stock = StringField("Stock", validators=WHOLE, filters=[_strip])
    stock_was = HiddenField()
    length_mm = StringField("Length (mm)", validators=WHOLE, filters=[_strip])
    width_mm = StringField("Width (mm)", validators=WHOLE, filters=[_strip])
    height_mm = StringField("Height (mm)", validators=WHOLE, filters=[_strip])
    weight_g = StringField("Weight (g)", validators=WHOLE, filters=[_strip])
    is_frozen = BooleanField("Frozen (travels cold, frozen-ready branches only)")
    is_active = BooleanField("On sale (shown in the shop)", default=True)
    description = TextAreaField("Description", validators=[Length(max=4000)])

    def values(self) -> dict:
        """What the catalog's services take, from a validated form."""
        return {
            "name": self.item_name.data,
            "slug": self.slug.data,
            "category_id": int(self.category.data),
            "price": centavos(self.price_pesos.data),
            "stock": whole(self, "stock"),
            "length_mm": whole(self, "length_mm"),
            "width_mm": whole(self, "width_mm"),
            "height_mm": whole(self, "height_mm"),
            "weight_g": whole(self, "weight_g"),
            "frozen": bool(self.is_frozen.data),
            "active": bool(self.is_active.data),
            "description": self.description.data or "",
        }


# A service error's field, as the form names it.
ITEM_FIELDS = {
    "name": "item_name",
    "category_id": "category",
    "price": "price_pesos",
    "frozen": "is_frozen",
    "active": "is_active",
}


class ImageForm(FlaskForm):
    image = FileField("Picture (PNG, JPEG or WebP)", validators=[InputRequired("Choose a file.")])


class CategoryForm(FlaskForm):
    category_name = StringField(
        "Name", validators=[InputRequired(), Length(max=80)], filters=[_strip]
    )
    slug = StringField(
        "Web address (slug)", validators=[InputRequired(), Length(max=80)], filters=[_strip]
    )


class RenameCategoryForm(FlaskForm):
    category_name = StringField(
        "New name", validators=[InputRequired(), Length(max=80)], filters=[_strip]
    )


class MoveCategoryForm(FlaskForm):
    direction = StringField(validators=[InputRequired(), Length(max=8)])


class BranchForm(FlaskForm):
    shelf_capacity = StringField("Shelf capacity (packages)", validators=WHOLE, filters=[_strip])
    opens_at = StringField(
        "Opens at", validators=[InputRequired(), Length(max=5)], filters=[_strip]
    )
    closes_at = StringField(
        "Closes at",
        validators=[InputRequired(), Length(max=5)],
        filters=[_strip],
        description="The same time as it opens: open 24 hours.",
    )
    takes_frozen = BooleanField("Takes frozen pickups (has a freezer)")


BRANCH_FIELDS = {"frozen": "takes_frozen"}


class MerchantForm(FlaskForm):
    merchant_name = StringField(
        "Name", validators=[InputRequired(), Length(max=120)], filters=[_strip]
    )
    slug = StringField(
        "Slug",
        validators=[InputRequired(), Length(max=40)],
        filters=[_strip],
        description="Names the merchant on its shipments; it can't change later.",
    )
    contact_email = EmailField(
        "Contact email", validators=[InputRequired(), Length(max=254)], filters=[_strip]
    )


class MerchantEditForm(FlaskForm):
    merchant_name = MerchantForm.merchant_name
    contact_email = MerchantForm.contact_email


MERCHANT_FIELDS = {"name": "merchant_name", "email": "contact_email"}


class MerchantLoginForm(FlaskForm):
    """A login for the merchant's console: an existing merchant login by its email, or a new
    one with a name and a first password (the operator hands it over; the merchant changes
    it)."""

    login_email = EmailField(
        "Email", validators=[InputRequired(), Length(max=254)], filters=[_strip]
    )
    login_name = StringField(
        "Name (a new login only)", validators=[Length(max=120)], filters=[_strip]
    )
    login_password = StringField(
        "First password (a new login only)",
        validators=[Length(max=128)],
        description="At least 10 characters. Give it to the merchant; they change it.",
    )


LOGIN_FIELDS = {"email": "login_email", "name": "login_name", "password": "login_password"}


class StatusForm(FlaskForm):
    status = StringField(validators=[InputRequired(), Length(max=12)])
