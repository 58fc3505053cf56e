"""Flask commands: `flask --app app seed-demo`, `flask --app app expire-holds`."""
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
