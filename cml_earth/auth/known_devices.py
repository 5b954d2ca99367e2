"""Browsers a member has logged in with before, so that attackers cannot lock them out.

The per-account login limit (``LOGIN_LIMIT_PER_ACCOUNT``) counts failed passwords for one account
from every address together: it stops guessing spread over many addresses, but on its own it
would also refuse the member's right password once an attacker had used it up. A browser where
the member's password was once right carries a signed cookie holding a keyed digest of each
login it used (never the login itself: a shared computer does not tell who used it); that limit
neither refuses nor counts it. The per-address and per-account-and-address limits still
apply to every browser, known or not.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "known_device"
MAX_AGE = timedelta(days=365)
#: The most logins one browser remembers (a family computer); the oldest is forgotten first.
MAX_LOGINS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def _digest(login: str) -> str:
    key = str(current_app.secret_key).encode()
    return hmac.new(key, f"known-device|{login}".encode(), hashlib.sha256).hexdigest()[:32]


def _known_digests() -> list[str]:
    """Digests of the logins this browser has used with the right password (none if the cookie
    is forged, stale or malformed)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        logins = _serializer().loads(raw, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:
        return []
    if not isinstance(logins, list):
        return []
    return [login for login in logins if isinstance(login, str)]


def is_known(login: str) -> bool:
    return bool(login) and _digest(login) in _known_digests()


def remember(response: Response, login: str) -> Response:
    """Add ``login`` (as the login form's limit keys it) to this browser's known logins."""
    digest = _digest(login)
    digests = [digest, *(known for known in _known_digests() if known != digest)][:MAX_LOGINS]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(digests),
        max_age=int(MAX_AGE.total_seconds()),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
