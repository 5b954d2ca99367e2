"""Accounts: registration, verification, login, password reset, preferences."""
