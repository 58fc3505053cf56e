"""Two-factor secrets are sealed at rest (auth.secret_box): the column holds "v1:..." and never
the secret; a value copied to another account's row does not open there; plain rows from
before keep working and are sealed at their next sign-in or by `flask encrypt-totp-secrets`;
rotation through TOTP_ENCRYPTION_OLD_KEYS; a malformed key refuses to start."""
from __future__ import annotations

import base64
import logging

import pytest
from sqlalchemy import select, update

from bookingapp import create_app
from bookingapp.auth import two_factor
from bookingapp.auth.secret_box import SecretBox, SecretUnreadable, derived_key
from bookingapp.config import InvalidSetting
from bookingapp.models import Account
from tests.auth.conftest import SECRET_ON_PAGE

KEY_ONE = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_TWO = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()


@pytest.fixture
def owner(salon, make_account):
    return make_account(salon[0], "owner", email="owner@example.com")


@pytest.fixture
def manager(salon, make_account):
    return make_account(salon[0], "manager", email="manager@example.com")


def stored(session, account) -> str | None:
    session.expire_all()
    return session.scalars(select(Account.totp_secret).where(Account.id == account.id)).one()


def store(session, account, value: str | None) -> None:
    """Write the column directly, as a database dump restored (or an attacker) would."""
    session.execute(update(Account).where(Account.id == account.id).values(totp_secret=value))
    session.commit()


def opens_with(key: bytes, account, value: str) -> str:
    return SecretBox(key).open(value, associated_data=b"totp:" + str(account.id).encode()).plaintext


def signed_in(dash, answer) -> bool:
    return (answer.status_code == 302 and answer.headers["Location"].endswith("/dashboard/day")
            and dash.get("/dashboard/day").status_code == 200)


def test_the_column_holds_the_secret_sealed_and_a_code_signs_in_through_the_pages(app, session, clock, owner,
                                                                                    two_factor_pages):
    secret, _ = two_factor_pages.enrol("owner@example.com")
    value = stored(session, owner)
    assert value.startswith("v1:") and value != secret and secret not in value
    # Unset TOTP_ENCRYPTION_KEY: the key is derived from SECRET_KEY, which is not in the database.
    assert opens_with(derived_key("test-secret"), owner, value) == secret
    with pytest.raises(SecretUnreadable):
        opens_with(derived_key("another-secret"), owner, value)
    assert two_factor.secret_of(session.get(Account, owner.id)) == secret

    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert signed_in(dash, answer)
    assert stored(session, owner) == value  # sealed under the current key already: left as it is


def test_the_waiting_secret_of_an_unfinished_enrolment_is_sealed_too(app, session, clock, owner, two_factor_pages):
    dash = two_factor_pages.client()
    dash.sign_in("owner@example.com")
    shown = SECRET_ON_PAGE.search(dash.get("/dashboard/security").get_data(as_text=True)).group(1)
    value = stored(session, owner)
    assert value.startswith("v1:") and shown not in value
    # A reload shows the same secret (the QR code already scanned stays valid), sealed afresh never.
    assert SECRET_ON_PAGE.search(dash.get("/dashboard/security").get_data(as_text=True)).group(1) == shown
    assert stored(session, owner) == value


def test_each_seal_has_its_own_nonce():
    box = SecretBox(bytes(32))
    first, second = (box.seal("JBSWY3DPEHPK3PXP", associated_data=b"totp:x") for _ in range(2))
    assert first != second and len(first) <= 255
    assert box.open(first, associated_data=b"totp:x").plaintext == box.open(second, associated_data=b"totp:x").plaintext


def test_a_value_copied_to_another_account_does_not_open_and_its_sign_in_is_refused_cleanly(
        app, session, clock, owner, manager, two_factor_pages, caplog):
    owner_secret, _ = two_factor_pages.enrol("owner@example.com")
    _, manager_codes = two_factor_pages.enrol("manager@example.com")
    copied = stored(session, owner)
    store(session, manager, copied)
    with pytest.raises(SecretUnreadable):
        two_factor.secret_of(session.get(Account, manager.id))

    clock.forward(seconds=30)
    with caplog.at_level(logging.WARNING, logger="bookingapp.auth.two_factor"):
        dash, answer = two_factor_pages.sign_in("manager@example.com", clock.code(owner_secret))
    assert answer.status_code == 401 and "not right" in answer.get_data(as_text=True)
    assert dash.get("/dashboard/day").status_code == 302
    assert any("cannot be read" in record.getMessage() and str(manager.id) in record.getMessage()
               for record in caplog.records)
    assert stored(session, manager) == copied  # not re-sealed: it was never opened
    # The account is not locked out for good: a recovery code still signs in (and the owner's row still works).
    dash, answer = two_factor_pages.sign_in("manager@example.com", manager_codes[0])
    assert signed_in(dash, answer)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(owner_secret))
    assert signed_in(dash, answer)


def test_a_copied_value_waiting_for_enrolment_is_replaced_not_a_500(app, session, clock, owner, manager,
                                                                    two_factor_pages):
    owner_secret, _ = two_factor_pages.enrol("owner@example.com")
    store(session, manager, stored(session, owner))  # manager has not switched two-factor on
    dash = two_factor_pages.client()
    dash.sign_in("manager@example.com")
    wrong = dash.post("/dashboard/security/two-factor", {"code": clock.code(owner_secret)})
    assert wrong.status_code == 422
    page = dash.get("/dashboard/security")
    assert page.status_code == 200
    fresh = SECRET_ON_PAGE.search(page.get_data(as_text=True)).group(1)
    assert fresh != owner_secret and two_factor.secret_of(session.get(Account, manager.id)) == fresh


def test_a_plain_secret_from_before_still_signs_in_and_is_sealed_afterwards(app, session, clock, owner,
                                                                            two_factor_pages):
    secret, _ = two_factor_pages.enrol("owner@example.com")
    store(session, owner, secret)  # the row as it was before migration 0023
    assert two_factor.secret_of(session.get(Account, owner.id)) == secret

    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert signed_in(dash, answer)
    value = stored(session, owner)
    assert value.startswith("v1:") and secret not in value
    assert opens_with(derived_key("test-secret"), owner, value) == secret


def test_a_wrong_code_leaves_a_plain_secret_as_it_is(app, session, clock, owner, two_factor_pages):
    secret, _ = two_factor_pages.enrol("owner@example.com")
    store(session, owner, secret)
    clock.forward(seconds=30)
    right = clock.code(secret)
    _, answer = two_factor_pages.sign_in("owner@example.com", f"{(int(right) + 1) % 1_000_000:06d}")
    assert answer.status_code == 401
    assert stored(session, owner) == secret


def test_rotation_an_old_key_still_opens_and_the_row_is_sealed_under_the_new_key(app, session, clock, owner,
                                                                                 two_factor_pages):
    app.config["TOTP_ENCRYPTION_KEY"] = KEY_ONE
    secret, _ = two_factor_pages.enrol("owner@example.com")
    under_one = stored(session, owner)
    assert opens_with(bytes(range(32)), owner, under_one) == secret

    # The new key alone does not open it: the old key is what makes the rotation work.
    app.config["TOTP_ENCRYPTION_KEY"] = KEY_TWO
    clock.forward(seconds=30)
    _, refused = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert refused.status_code == 401

    app.config["TOTP_ENCRYPTION_OLD_KEYS"] = f" {KEY_ONE} ,"
    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert signed_in(dash, answer)
    under_two = stored(session, owner)
    assert under_two != under_one and opens_with(bytes(range(100, 132)), owner, under_two) == secret
    with pytest.raises(SecretUnreadable):
        opens_with(bytes(range(32)), owner, under_two)

    # The old key can go now.
    app.config["TOTP_ENCRYPTION_OLD_KEYS"] = ""
    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert signed_in(dash, answer)


def test_setting_the_key_for_the_first_time_keeps_the_derived_key_readable(app, session, clock, owner,
                                                                           two_factor_pages):
    secret, _ = two_factor_pages.enrol("owner@example.com")  # sealed with the key derived from SECRET_KEY
    app.config["TOTP_ENCRYPTION_KEY"] = KEY_ONE
    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("owner@example.com", clock.code(secret))
    assert signed_in(dash, answer)
    assert opens_with(bytes(range(32)), owner, stored(session, owner)) == secret


def test_encrypt_totp_secrets_seals_plain_rows_reseals_old_key_rows_and_is_idempotent(
        app, session, clock, owner, manager, salon, make_account, two_factor_pages):
    desk = make_account(salon[0], "front_desk", email="desk@example.com")
    app.config["TOTP_ENCRYPTION_KEY"] = KEY_ONE
    owner_secret, _ = two_factor_pages.enrol("owner@example.com")
    manager_secret, _ = two_factor_pages.enrol("manager@example.com")
    desk_secret, _ = two_factor_pages.enrol("desk@example.com")
    store(session, owner, owner_secret)  # plain, from before
    store(session, manager, manager_secret)  # plain, from before
    app.config.update(TOTP_ENCRYPTION_KEY=KEY_TWO, TOTP_ENCRYPTION_OLD_KEYS=KEY_ONE)  # desk's is under the old key
    runner = app.test_cli_runner()

    result = runner.invoke(args=["encrypt-totp-secrets"])
    assert result.exit_code == 0, result.output
    assert "Encrypted 2 plain two-factor secret(s); re-encrypted 1 under the current key." in result.output
    sealed = {account.email: stored(session, account) for account in (owner, manager, desk)}
    new_key = bytes(range(100, 132))
    for account, secret in ((owner, owner_secret), (manager, manager_secret), (desk, desk_secret)):
        assert sealed[account.email].startswith("v1:") and opens_with(new_key, account, sealed[account.email]) == secret

    again = runner.invoke(args=["encrypt-totp-secrets"])
    assert again.exit_code == 0 and "Encrypted 0 plain two-factor secret(s); re-encrypted 0" in again.output
    assert {account.email: stored(session, account) for account in (owner, manager, desk)} == sealed

    # Without the old key from here on, everyone still signs in.
    app.config["TOTP_ENCRYPTION_OLD_KEYS"] = ""
    clock.forward(seconds=30)
    dash, answer = two_factor_pages.sign_in("desk@example.com", clock.code(desk_secret))
    assert signed_in(dash, answer)


def test_encrypt_totp_secrets_names_rows_no_key_opens_and_leaves_them(app, session, clock, owner, manager,
                                                                      two_factor_pages):
    two_factor_pages.enrol("owner@example.com")
    manager_secret, _ = two_factor_pages.enrol("manager@example.com")
    store(session, manager, manager_secret)
    damaged = stored(session, owner).replace("v1:", "v1:AAAA", 1)
    store(session, owner, damaged)
    result = app.test_cli_runner().invoke(args=["encrypt-totp-secrets"])
    assert result.exit_code == 1
    assert "Encrypted 1 plain two-factor secret(s)" in result.output
    assert "1 two-factor secret(s) open with none of the configured keys" in result.output
    assert "TOTP_ENCRYPTION_OLD_KEYS" in result.output
    assert stored(session, owner) == damaged
    assert stored(session, manager).startswith("v1:")  # the others were sealed all the same


@pytest.mark.parametrize("key, says", [
    (base64.urlsafe_b64encode(bytes(16)).decode(), "decodes to 16 bytes; it must be 32"),
    ("not a key at all!", "not urlsafe base64"),
    ("abcde", "not urlsafe base64"),
])
def test_a_malformed_key_refuses_to_start(key, says):
    with pytest.raises(InvalidSetting) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TOTP_ENCRYPTION_KEY": key})
    message = str(refused.value)
    assert "Refusing to start" in message and "TOTP_ENCRYPTION_KEY" in message and says in message
    assert key not in message  # the key itself is not echoed into logs


def test_a_malformed_old_key_from_the_environment_refuses_to_start(monkeypatch):
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", KEY_TWO)
    monkeypatch.setenv("TOTP_ENCRYPTION_OLD_KEYS", f"{KEY_ONE},short")
    with pytest.raises(InvalidSetting, match="TOTP_ENCRYPTION_OLD_KEYS"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("TOTP_ENCRYPTION_OLD_KEYS", KEY_ONE)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["TOTP_ENCRYPTION_KEY"] == KEY_TWO
    # Without the padding, as some tools print base64, the key is the same.
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TOTP_ENCRYPTION_KEY": KEY_TWO.rstrip("=")})
