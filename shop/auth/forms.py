from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from shop.auth.service import MAX_PASSWORD, MIN_PASSWORD

PASSWORD_LENGTH = f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=MAX_PASSWORD)])


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[InputRequired(), Length(max=120)], filters=[_strip])
    email = EmailField(
        "Email",
        validators=[
            InputRequired(),
            Length(max=254),
            Email(message="Enter an email address like juan@example.com."),
        ],
        filters=[_strip],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired(),
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message=PASSWORD_LENGTH),
        ],
        description=f"At least {MIN_PASSWORD} characters.",
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired()])
    new = PasswordField(
        "New password",
        validators=[
            InputRequired(),
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message=PASSWORD_LENGTH),
        ],
        description=f"At least {MIN_PASSWORD} characters.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("new", message="The two new passwords differ.")],
    )
