"""`flask shop ...`: the operator's commands."""

import click
from flask import current_app
from flask.cli import AppGroup

from shop.auth.models import Role

shop_cli = AppGroup("shop", help="CLiQQ Shop commands.")


@shop_cli.command("seed")
@click.option("--no-users", is_flag=True, help="Load the catalog and branches only.")
def seed(no_users: bool) -> None:
    """Load the demo catalog, branches and logins (adds only what is missing)."""
    from shop.demo import DEMO_PASSWORD, DEMO_USERS
    from shop.demo.service import load_demo_data

    if current_app.config["ENV"] == "production" and not no_users:
        raise click.UsageError("Refusing to create demo logins in production (use --no-users).")
    loaded = load_demo_data(users=not no_users)
    if loaded.anything:
        click.echo(
            f"Demo data loaded: {loaded.categories} categories, {loaded.items} items, "
            f"{loaded.branches} branches, {loaded.users} users."
        )
    else:
        click.echo("Demo data already loaded: nothing to add.")
    if not no_users:
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_USERS:
            click.echo(f"  {role.label:<20} {email}")


@shop_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="shopper")
@click.password_option()
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Create an account with a role (an operator, a clerk, ...)."""
    from shop.auth.service import create_user as create
    from shop.errors import DomainError

    try:
        user = create(email, name, password, Role(role))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {user.role.label} {user.email}.")


@shop_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the shop with the development server (`flask run`, without its Server header)."""
    from shop.serving import serve as run

    run(current_app._get_current_object(), host, port)


@shop_cli.command("tick")
def tick() -> None:
    """Run every time-based transition once (safe to run from cron on several hosts)."""
    from shop.checkout.service import expire_unpaid

    expired = expire_unpaid()
    click.echo(f"Expired {expired} unpaid order{'s' if expired != 1 else ''}.")


@shop_cli.command("tick-loop")
@click.option("--every", default=30, show_default=True, help="Seconds between ticks.")
def tick_loop(every: int) -> None:
    """Tick forever (what `make run` uses instead of cron)."""
    import time

    from shop.checkout.service import expire_unpaid
    from shop.extensions import db

    while True:
        expired = expire_unpaid()
        if expired:
            click.echo(f"Expired {expired} unpaid order(s).")
        db.session.remove()
        time.sleep(every)


@shop_cli.command("stripe-webhook")
@click.argument("url")
def stripe_webhook(url: str) -> None:
    """Tell localstripe to send its webhooks to URL, signed with our webhook secret."""
    from shop.payments.service import register_localstripe_webhook

    register_localstripe_webhook(url)
    click.echo(f"localstripe sends webhooks to {url}.")
