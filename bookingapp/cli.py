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
