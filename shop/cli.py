"""`flask shop ...`: the operator's commands."""

import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup

from shop.auth.models import Role

shop_cli = AppGroup("shop", help="CLiQQ Shop commands.")


@shop_cli.command("seed")
@click.option("--no-users", is_flag=True, help="Load the catalog and branches only.")
def seed(no_users: bool) -> None:
    """Load the demo catalog, branches and logins (adds only what is missing)."""
    from shop.demo import DEMO_APPS, DEMO_PASSWORD, DEMO_PUBLISHER, DEMO_USERS
    from shop.demo.service import load_demo_data

    if current_app.config["ENV"] == "production" and not no_users:
        raise click.UsageError("Refusing to create demo logins in production (use --no-users).")
    loaded = load_demo_data(users=not no_users)
    if loaded.anything:
        click.echo(
            f"Demo data loaded: {loaded.categories} categories, {loaded.items} items, "
            f"{loaded.branches} branches, {loaded.users} users, {loaded.apps} partner apps, "
            f"{loaded.merchants} merchants."
        )
    else:
        click.echo("Demo data already loaded: nothing to add.")
    if not no_users:
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, role in DEMO_USERS:
            where = f"  ({name.split(', ', 1)[1]})" if role is Role.CLERK and ", " in name else ""
            click.echo(f"  {role.label:<20} {email}{where}")
        keys = ", ".join(app["key"] for app in DEMO_APPS)
        click.echo(f"Demo partner apps of {DEMO_PUBLISHER}: {keys}")


@shop_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="shopper")
@click.option("--branch", help="The store code a clerk works at (a DC login: the DC).")
@click.option("--merchant", help="The slug of the merchant a merchant login works for.")
@click.password_option()
def create_user(
    email: str, name: str, role: str, branch: str | None, merchant: str | None, password: str
) -> None:
    """Create an account with a role (an operator, a clerk at --branch, ...)."""
    from shop.auth.service import create_user as create
    from shop.branches.service import get_branch
    from shop.errors import DomainError
    from shop.fulfillment.service import distribution_center_id
    from shop.merchants import service as merchants

    if merchant is not None and role != Role.MERCHANT:
        raise click.ClickException("--merchant is for a merchant login (--role merchant).")
    try:
        if merchant is not None:
            found = merchants.find_by_slug(merchant.strip())
            if found is None:
                raise click.ClickException(f"No merchant has the slug {merchant.strip()!r}.")
            added = merchants.add_login(found.id, email, name, password)
            how = "Created" if added.created else "Linked"
            click.echo(f"{how} merchant login {added.email} for {found.name}.")
            return
        if branch is not None:
            branch_id = get_branch(branch.strip()).id
        elif role == Role.DC:
            branch_id = distribution_center_id()
        else:
            branch_id = None
        user = create(email, name, password, Role(role), branch_id=branch_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    where = f" at branch {branch.strip()}" if branch is not None else ""
    click.echo(f"Created {user.role.label} {user.email}{where}.")


@shop_cli.command("create-merchant")
@click.argument("name")
@click.option("--email", default="", help="Where the shop writes to the merchant (optional).")
@click.option("--slug", default=None, help="How its shipments name it (default: from NAME).")
def create_merchant(name: str, email: str, slug: str | None) -> None:
    """Create a merchant and print its first secret API key (shown this once)."""
    from shop.errors import DomainError
    from shop.merchants import service as merchants

    try:
        change, key = merchants.create_with_key(name, email, slug=slug, actor="command line")
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    merchant = change.merchant
    click.echo(f"Created merchant {merchant.name} ({merchant.slug}).")
    click.echo("Its secret API key (shown this once; keep it in your server's secrets):")
    click.echo(f"  {key.secret}")
    click.echo("Try it: curl -H 'Authorization: Bearer <key>' <shop>/api/v1/branches")


@shop_cli.command("close-branch")
@click.argument("code")
@click.option("--until", "until", metavar="YYYY-MM-DD", help="The last closed day (Manila).")
@click.option("--for-good", is_flag=True, help="Close it for good.")
@click.option("--reopen", is_flag=True, help="Reopen it instead.")
def close_branch(code: str, until: str | None, for_good: bool, reopen: bool) -> None:
    """Close the branch CODE from today (for today only, --until a date, or --for-good), and
    re-route the orders bound for it to the nearest open branch that can take them."""
    from shop.errors import DomainError
    from shop.fulfillment import service as ecms

    operator = ecms.Actor(role=Role.ADMIN.value, name="operator (flask shop close-branch)")
    try:
        if reopen:
            if until or for_good:
                raise click.UsageError("--reopen takes no --until or --for-good.")
            opened = ecms.reroute.reopen_branch(code, operator)
            click.echo(f"{opened.name} ({opened.code}) is open again.")
            return
        done = ecms.reroute.close_branch(code, operator, until=until, for_good=for_good)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    how = "for good" if done.closed_until is None else f"through {done.closed_until.isoformat()}"
    click.echo(f"{done.name} ({done.code}) is closed {how}.")
    for move in done.moved:
        click.echo(
            f"  {move.reference}: {move.rerouted} re-routed, {move.recalled} called back, "
            f"now to {move.to_name} ({move.to_code})"
        )
    click.echo(
        f"Re-routed {done.rerouted} package(s), called back {done.recalled} through the DC"
        f", left {done.kept} on the shelf."
    )
    for reference in done.stranded:
        click.echo(f"  No open branch can take {reference}: it still goes here.", err=True)


@shop_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the shop with the development server (`flask run`, without its Server header)."""
    from shop.serving import serve as run

    run(current_app._get_current_object(), host, port)


@shop_cli.command("partner-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@click.option(
    "--shop-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The shop the demo page embeds.",
)
def partner_demo(host: str, port: int, shop_url: str) -> None:
    """Serve the demo partner page: another origin that embeds the shop with the demo apps'
    snippets (`flask shop seed` creates the apps)."""
    from shop.demo import DEMO_APPS
    from shop.embed.partner_demo import DemoApp, make_partner_demo
    from shop.embed.service import embed_snippet, link_url
    from shop.partners.apps import live_app
    from shop.serving import serve as run

    apps = []
    for data in DEMO_APPS:
        app = live_app(data["key"])
        if app is None:
            click.echo(f"Demo app {data['key']} is missing or not approved: run `flask shop seed`.")
            continue
        slug = app.key.removeprefix("app_demo_")
        apps.append(
            DemoApp(
                slug,
                app.name,
                app.key,
                embed_snippet(app, shop_url=shop_url),
                link_url(app, shop_url=shop_url),
            )
        )
    if not apps:
        raise click.ClickException("No demo app to embed: run `flask shop seed` first.")
    run(make_partner_demo(shop_url, apps), host, port)


TICK_WORDS = {
    "remind_pickups": ("Reminded", "shopper", "of a pickup deadline coming"),
    "expire_pickups": ("Marked", "package", "not picked up in time"),
    "send_back_unclaimed": ("Sent back", "unclaimed package", "to the seller (returning)"),
}


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def run_tick(*, quiet: bool = False) -> list[str]:
    """One tick: unpaid orders expire (checkout), then the packages' steps
    (shop.fulfillment.timing.tick), then commission past its return window turns approved
    (shop.partners.service.approve_due: after the packages, so a package made unclaimed in this
    tick is reversed before its order is looked at), and last the dashboards' daily sums take in
    the rows older than a few minutes (shop.partners.service.roll_up), and the API's idempotency
    keys older than a day are forgotten. Each step's batch is its own transaction. Returns one line
    per step (only the steps that did something when `quiet`)."""
    from shop.api import idempotency
    from shop.checkout.service import expire_unpaid
    from shop.fulfillment import timing
    from shop.partners import service as partners

    lines = []
    expired = expire_unpaid()
    if expired or not quiet:
        lines.append(f"Expired {_plural(expired, 'unpaid order')}.")
    for step in timing.tick():
        verb, noun, rest = TICK_WORDS[step.name]
        if step.done or not quiet:
            batches = f" in {step.batches} batches" if step.batches > 1 else ""
            lines.append(f"{verb} {_plural(step.done, noun)} {rest}{batches}.")
    approved = partners.approve_due()
    if approved or not quiet:
        lines.append(f"Approved the commission of {_plural(approved, 'order')}.")
    rolled = partners.roll_up()
    if rolled or not quiet:
        lines.append(f"Added {_plural(rolled, 'row')} to the dashboards' daily sums.")
    forgotten = idempotency.forget_old()
    if forgotten or not quiet:
        lines.append(f"Forgot {_plural(forgotten, 'idempotency key')} older than 24 hours.")
    return lines


@shop_cli.command("tick")
def tick() -> None:
    """Run every time-based step once (safe to run from cron on several hosts at once)."""
    for line in run_tick():
        click.echo(line)


@shop_cli.command("tick-loop")
@click.option("--every", default=30, show_default=True, help="Seconds between ticks.")
def tick_loop(every: int) -> None:
    """Tick forever (what `make run` uses instead of cron)."""
    from shop.extensions import db

    with _StopSignal() as stop:
        while not stop.requested:
            try:
                for line in run_tick(quiet=True):
                    click.echo(line)
            finally:
                db.session.remove()
            stop.sleep(every)


@shop_cli.command("stripe-webhook")
@click.argument("url")
def stripe_webhook(url: str) -> None:
    """Tell localstripe to send its webhooks to URL, signed with our webhook secret."""
    from shop.payments.service import register_localstripe_webhook

    register_localstripe_webhook(url)
    click.echo(f"localstripe sends webhooks to {url}.")


class _StopSignal:
    """SIGTERM and Ctrl-C ask a long-running command to stop: the handler only sets a flag
    (nothing that takes a lock or writes output can run safely inside a signal handler), and
    the command's idle sleep looks at it every tenth of a second."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def __enter__(self) -> "_StopSignal":
        self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))


@shop_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver one batch of due messages and exit.")
@click.option(
    "--every", default=5.0, show_default=True, help="Seconds to sleep when nothing is due."
)
@click.option("--batch", type=click.IntRange(min=1), help="Messages per claim [OUTBOX_BATCH].")
@click.option("--name", help="This worker's name in the outbox [host:pid].")
def worker(once: bool, every: float, batch: int | None, name: str | None) -> None:
    """Deliver the outbox's due messages, forever (any number of workers, on any hosts)."""
    import sqlalchemy as sa

    from shop.extensions import db
    from shop.notify import service as notify

    name = name or notify.default_worker_name()
    if not once:
        click.echo(f"Worker {name} delivering the outbox (Ctrl-C or SIGTERM stops it).")
    with _StopSignal() as stop:
        while not stop.requested:
            report = None
            try:
                report = notify.deliver_due(batch=batch, worker=name, stop=lambda: stop.requested)
            except sa.exc.OperationalError as exc:  # the database is away: wait, don't die
                if once:
                    raise
                click.echo(f"Worker {name}: database unavailable ({exc.orig}); retrying.")
            finally:
                db.session.remove()
            for outcome in report.outcomes if report else ():
                click.echo(_describe_outcome(outcome))
            if once:
                if report and not report.outcomes:
                    click.echo("Nothing due.")
                return
            if report is None or report.claimed == 0:
                stop.sleep(every)
    click.echo(f"Worker {name} stopped.")


def _describe_outcome(outcome) -> str:
    where = f"{outcome.kind} {outcome.id} (attempt {outcome.attempt})"
    if outcome.result == "retry":
        when = outcome.next_attempt_at.isoformat(timespec="seconds")
        return f"failed    {where}: {outcome.error}; next try at {when}"
    if outcome.error:
        return f"{outcome.result:<9} {where}: {outcome.error}"
    return f"{outcome.result:<9} {where}"


@shop_cli.command("outbox-purge")
@click.option("--days", default=30, show_default=True, help="Keep delivered messages this long.")
def outbox_purge(days: int) -> None:
    """Delete outbox messages delivered more than DAYS ago (parked ones are kept)."""
    from datetime import timedelta

    from shop.notify.service import purge_delivered

    deleted = purge_delivered(timedelta(days=days))
    click.echo(f"Deleted {deleted} delivered message{'s' if deleted != 1 else ''}.")


@shop_cli.command("mail-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Port to listen on [MAIL_URL's or MAIL_PORT].")
def mail_server(host: str, port: int | None) -> None:
    """Development only: an SMTP server that keeps what it receives for /admin/mail."""
    from shop.notify import devmail

    config = current_app.config
    if config["ENV"] == "production":
        raise click.UsageError("The dev mail server is for development: set MAIL_URL instead.")
    from shop.notify.mailurl import settings_of

    port = port or settings_of(config).port
    click.echo(f"Dev mail server on {host}:{port}, keeping mail in {config['DEV_MAIL_DIR']}.")
    with _StopSignal() as stop:

        def wait() -> None:
            while not stop.requested:
                stop.sleep(3600)

        devmail.serve(config["DEV_MAIL_DIR"], host, port, wait)
    click.echo("Dev mail server stopped.")


@shop_cli.command("payout")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the bank upload file [PAYOUT_CSV_DIR/PO-....csv].",
)
def payout(csv_path: str | None) -> None:
    """Make a payout batch of every approved balance at least PAYOUT_MINIMUM, and its bank file."""
    from pathlib import Path

    from shop.money import format_peso
    from shop.partners import payouts

    run = payouts.make_payout("cli")
    for skipped in run.no_account:
        click.echo(
            f"Skipped {skipped.email or skipped.publisher_id}: owed {format_peso(skipped.amount)}, "
            "no payout account."
        )
    if run.payout is None:
        click.echo("Nothing to pay.")
        return
    batch = run.payout
    path = Path(csv_path or Path(current_app.config["PAYOUT_CSV_DIR"]) / f"{batch.number}.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(payouts.payout_csv(batch.id), encoding="utf-8", newline="")
    click.echo(
        f"Payout {batch.number}: {_plural(batch.publishers, 'publisher')}, "
        f"{format_peso(batch.total)}."
    )
    for line in payouts.batch_lines(batch):
        click.echo(f"  {line.email or line.publisher_id:<40} {format_peso(line.amount):>14}")
    click.echo(f"Bank file: {path}")
