"""Flask commands: `flask --app app seed-demo`, `flask --app app expire-holds`,
`flask --app app encrypt-totp-secrets`, ..."""
from __future__ import annotations

import click
from flask import Flask

from bookingapp.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo business into the database; prints its slug on the last line."""
        from bookingapp.demo import DEMO_SLUG, demo_exists, load_demo

        if demo_exists(db.session):
            click.echo("The demo business is already loaded.")
        else:
            business = load_demo(db.session)
            db.session.commit()
            click.echo(f"Loaded the demo business {business.name!r}.")
        click.echo(DEMO_SLUG)

    @app.cli.command("expire-holds")
    def expire_holds() -> None:
        """Mark every hold whose time has run out as expired."""
        from bookingapp.domain.booking import expire_stale_holds

        count = expire_stale_holds(db.session)
        db.session.commit()
        click.echo(f"Expired {count} hold(s).")

    @app.cli.command("create-owner")
    @click.argument("business_slug")
    @click.argument("email")
    def create_owner_command(business_slug: str, email: str) -> None:
        """Create the owner account of a business (password from OWNER_PASSWORD or a prompt)."""
        import os

        from bookingapp.auth.accounts import create_owner
        from bookingapp.domain.errors import DomainError

        password = os.environ.get("OWNER_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        try:
            account = create_owner(db.session, business_slug, email, password)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Created the owner account {account.email} for {business_slug}; sign in at /dashboard/sign-in.")

    @app.cli.command("create-account")
    @click.argument("business_slug")
    @click.argument("email")
    @click.argument("role", type=click.Choice(["owner", "manager", "front_desk", "staff"]))
    def create_account_command(business_slug: str, email: str, role: str) -> None:
        """Create a dashboard account of any role (password from ACCOUNT_PASSWORD or a prompt)."""
        import os

        from bookingapp.auth.accounts import create_staff_account
        from bookingapp.domain.errors import DomainError

        password = os.environ.get("ACCOUNT_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        try:
            account = create_staff_account(db.session, business_slug, email, role, password)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Created the {role} account {account.email} for {business_slug}; sign in at /dashboard/sign-in.")

    @app.cli.command("encrypt-totp-secrets")
    def encrypt_totp_secrets_command() -> None:
        """Seal every two-factor secret still stored in clear (from before migration 0023) and
        re-seal every one under an old key (TOTP_ENCRYPTION_OLD_KEYS) with TOTP_ENCRYPTION_KEY.
        Prints how many; running it again changes nothing."""
        from bookingapp.auth.two_factor import seal_stored_secrets

        counts = seal_stored_secrets(db.session)
        db.session.commit()
        click.echo(f"Encrypted {counts['sealed']} plain two-factor secret(s); "
                   f"re-encrypted {counts['resealed']} under the current key.")
        if counts["unreadable"]:
            # Left as they are: a missing old key can still be added and the command run again.
            raise click.ClickException(
                f"{counts['unreadable']} two-factor secret(s) open with none of the configured keys: add the "
                "key they were sealed with to TOTP_ENCRYPTION_OLD_KEYS and run this again.")

    from bookingapp.models.api import API_KEY_SCOPES

    @app.cli.command("create-api-key")
    @click.argument("business_slug")
    @click.option("--test", "test_mode", is_flag=True, help="A test key (bo_test_) instead of a live one (bo_live_).")
    @click.option("--name", default="API key", help="A label to recognise the key by.")
    @click.option("--scope", type=click.Choice(API_KEY_SCOPES), default="full", show_default=True,
                  help="What the key may do: read (every read but webhooks), bookings (read + bookings and "
                       "review replies), catalog (read + services, staff, products, business settings), full.")
    def create_api_key_command(business_slug: str, test_mode: bool, name: str, scope: str) -> None:
        """Create an API key for a business; prints the key (shown only this once) alone on the last line.
        Without --scope the key is full, as every key was before scopes, so scripts keep working."""
        from sqlalchemy import select

        from bookingapp.api.keys import create_api_key
        from bookingapp.models import Business

        business = db.session.scalars(select(Business).where(Business.slug == business_slug)).one_or_none()
        if business is None:
            raise click.ClickException(f"No business with the slug {business_slug!r}.")
        key, raw = create_api_key(db.session, business, mode="test" if test_mode else "live", name=name, scope=scope)
        db.session.commit()
        click.echo(f"Created {key.mode} API key {key.prefix}... of scope {key.scope} for {business.name!r}. "
                   "It is shown only now:")
        click.echo(raw)

    @app.cli.command("prune-outbox")
    @click.option("--days", default=30, show_default=True, help="Keep events dispatched within this many days.")
    def prune_outbox_command(days: int) -> None:
        """Delete delivered outbox events (and their webhook deliveries) older than --days."""
        from bookingapp.retention import prune_outbox

        total = 0
        while True:
            pruned = prune_outbox(db.session, days=days)
            db.session.commit()
            total += pruned
            if not pruned:
                break
        click.echo(f"Deleted {total} outbox event(s) dispatched more than {days} day(s) ago.")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run one pass and exit (cron, tests).")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between passes.")
    def worker_command(once: bool, interval: float) -> None:
        """Deliver webhooks from the outbox (signed, with retries), expire stale holds.
        SIGTERM lets the delivery in hand finish, then exits."""
        from flask import current_app

        from bookingapp.logs import configure_logging
        from bookingapp.notifications.worker import run

        if str(current_app.config.get("LOG_FORMAT", "text")).lower() == "json":
            configure_logging(str(current_app.config.get("LOG_LEVEL", "INFO")), process_role="worker")

        run(once=once, interval=interval)
