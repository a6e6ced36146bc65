"""Accounts: users with roles, their passwords and API tokens, stored in the journal's database."""

from callvault.accounts.model import AccountError, ApiToken, Role, User
from callvault.accounts.repository import Accounts

__all__ = ["AccountError", "Accounts", "ApiToken", "Role", "User"]
