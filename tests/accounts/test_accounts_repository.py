"""Users and tokens stored in the journal's database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from callvault.accounts import AccountError, Accounts, Role
from callvault.journal.schema import api_tokens, users


def test_a_user_is_stored_with_role_extensions_and_team(accounts: Accounts) -> None:
    added = accounts.add_user(
        "ann", "agent", password="pw", extensions=["201", "+4533123456"], team="support", now=100.0
    )
    assert added.role is Role.AGENT
    assert added.extensions == ("201", "+4533123456")
    assert added.team == "support"
    assert not added.disabled
    assert added.created_at == 100.0
    assert accounts.get_user("ann") == added
    assert [user.username for user in accounts.list_users()] == ["ann"]


def test_duplicate_users_and_unknown_roles_are_one_line_errors(accounts: Accounts) -> None:
    accounts.add_user("ann", "agent", password="pw")
    with pytest.raises(AccountError, match="user 'ann' already exists"):
        accounts.add_user("ann", "admin", password="pw")
    with pytest.raises(AccountError, match=r"unknown role 'boss' \(one of: agent, supervisor"):
        accounts.add_user("bob", "boss", password="pw")
    with pytest.raises(AccountError, match="invalid username"):
        accounts.add_user("has space", "agent")


def test_passwords_authenticate_only_the_enabled_owner(accounts: Accounts) -> None:
    accounts.add_user("ann", "agent", password="s3cret")
    assert accounts.user_for_password("ann", "s3cret") is not None
    assert accounts.user_for_password("ann", "wrong") is None
    assert accounts.user_for_password("nobody", "s3cret") is None
    accounts.set_disabled("ann")
    assert accounts.user_for_password("ann", "s3cret") is None


def test_the_password_is_never_stored_in_clear(accounts: Accounts, journal_url: str) -> None:
    accounts.add_user("ann", "agent", password="s3cret")
    token = accounts.issue_token("ann", "ci")
    engine = sa.create_engine(journal_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalar_one()
        digest = connection.execute(sa.select(api_tokens.c.digest)).scalar_one()
    engine.dispose()
    assert "s3cret" not in stored and stored.startswith("scrypt$")
    assert token not in digest


def test_tokens_valid_revoked_unknown_and_of_disabled_users(accounts: Accounts) -> None:
    accounts.add_user("ann", "supervisor", password="pw")
    token = accounts.issue_token("ann", "crm-sync", now=10.0)
    user = accounts.user_for_token(token, now=20.0)
    assert user is not None and user.username == "ann"
    assert accounts.user_for_token("cv_not-a-token") is None
    (issued,) = accounts.list_tokens("ann")
    assert (issued.name, issued.created_at, issued.last_used_at) == ("crm-sync", 10.0, 20.0)
    accounts.revoke_token(issued.id)
    assert accounts.user_for_token(token) is None
    other = accounts.issue_token("ann", "second")
    accounts.set_disabled("ann")
    assert accounts.user_for_token(other) is None


def test_last_used_is_not_rewritten_on_every_request(accounts: Accounts) -> None:
    accounts.add_user("ann", "admin", password="pw")
    token = accounts.issue_token("ann", "ci")
    accounts.user_for_token(token, now=1000.0)
    accounts.user_for_token(token, now=1030.0)
    assert accounts.list_tokens("ann")[0].last_used_at == 1000.0
    accounts.user_for_token(token, now=1061.0)
    assert accounts.list_tokens("ann")[0].last_used_at == 1061.0


def test_tokens_for_unknown_users_are_refused(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="no user 'ghost'"):
        accounts.issue_token("ghost", "x")
    with pytest.raises(AccountError, match="no user 'ghost'"):
        accounts.set_disabled("ghost")
