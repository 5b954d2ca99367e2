"""Signed, expiring tokens for links sent by mail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenExpired(Exception):
    """The link is genuine but too old."""


class TokenInvalid(Exception):
    """The link was altered, made up, or is for another purpose."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"cml-earth:{purpose}")


def make(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, max_age: timedelta) -> dict:
    """The payload of ``token``; raises TokenExpired or TokenInvalid."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as error:
        raise TokenExpired from error
    except (BadSignature, UnicodeError, ValueError) as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict):
        raise TokenInvalid
    return payload


def fingerprint(value: str) -> str:
    """A short digest that changes when ``value`` changes (binds a reset link to one password)."""
    return hashlib.sha256(value.encode()).hexdigest()[:20]
