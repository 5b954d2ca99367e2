"""Accounts: registration, verification, login, password reset, preferences."""

from .routes import bp

__all__ = ["bp"]
