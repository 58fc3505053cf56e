"""accounts.totp_secret widens from 64 to 255 characters: it now holds the TOTP secret sealed
with AES-GCM ("v1:" + urlsafe base64 of nonce, ciphertext and tag: 83 characters for a
32-character secret), not the secret itself (bookingapp/auth/secret_box.py).

The existing plain secrets are not sealed here: the key lives outside the database and is
not something a migration should need. They keep working and are sealed at their next use,
or all at once by `flask encrypt-totp-secrets` (README "Two-factor secrets at rest").

The downgrade refuses while any sealed value is stored: the code before this revision would
take it for a base32 secret and that account could no longer sign in with a code.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)


def downgrade():
    sealed = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM accounts WHERE totp_secret IS NOT NULL AND totp_secret LIKE 'v1:%'")).scalar()
    if sealed:
        raise RuntimeError(
            f"{sealed} account(s) hold a sealed two-factor secret, which the code before revision 0023 cannot "
            "read. Switch two-factor sign-in off for them (Security page) before downgrading.")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)
