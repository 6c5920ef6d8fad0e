"""Sign-up, log in, log out, change password, the account page."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from shop.auth import service
from shop.auth.forms import ChangePasswordForm, LoginForm, SignupForm
from shop.auth.throttle import TRUSTED_BROWSER_COOKIE, Client
from shop.errors import DomainError
from shop.extensions import limiter, login_manager
from shop.web import safe_redirect_target, status_of

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"
login_manager.user_loader(service.load_user)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _client() -> Client:
    return Client(get_remote_address(), request.cookies.get(TRUSTED_BROWSER_COOKIE))


def _refused(template: str, form, exc: DomainError):
    response = make_response(render_template(template, form=form), status_of(exc))
    if isinstance(exc, service.TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _trust_this_browser(response, email: str):
    days = current_app.config["LOGIN_TRUST_DAYS"]
    response.set_cookie(
        TRUSTED_BROWSER_COOKIE,
        service.trust_browser(email),
        max_age=days * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


# Every attempt counts against the client address (LOGIN_RATE_LIMIT); wrong passwords also count
# against the account they were tried on, in the service (shop/auth/throttle.py), keyed by the
# email the form parsed, whichever body it came in.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, client=_client())
        except DomainError as exc:
            form.password.errors.append(exc.message)
            return _refused("auth/login.html", form, exc)
        login_user(user)
        flash(f"Welcome back, {user.name}.", "success")
        return _trust_this_browser(
            redirect(safe_redirect_target(request.args.get("next"))), user.email
        )
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = service.create_user(form.email.data, form.name.data, form.password.data)
        except DomainError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
            return _refused("auth/signup.html", form, exc)
        login_user(user)
        flash("Your account is ready. Happy shopping!", "success")
        return redirect(safe_redirect_target(request.args.get("next")))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/signup.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        service.log_out(current_user.id)  # a copy of this session's cookie stops working too
    logout_user()
    flash("You're logged out, here and on your other devices.", "info")
    return redirect(url_for("catalog.index"))


@bp.get("/account")
@login_required
def account():
    from shop.checkout.service import orders_for_user

    return render_template("auth/account.html", orders=orders_for_user(current_user.id))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = service.change_password(
                current_user.id, form.current.data, form.new.data, client=_client()
            )
        except DomainError as exc:
            getattr(form, exc.field or "new").errors.append(exc.message)
            return _refused("auth/password.html", form, exc)
        login_user(user)  # the session id changed with the password: keep this one logged in
        flash("Your password is changed. Other devices have been logged out.", "success")
        return redirect(url_for("auth.account"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
