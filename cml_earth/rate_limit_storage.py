"""Where rate limits are counted: Redis when ``REDIS_URL`` is set, and what happens when it stops.

With Redis, every worker of every instance shares one set of counters. When Redis stops
answering, Flask-Limiter's in-memory fallback (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``, on in
config.py) counts in each process's memory and checks Redis again now and then, with a growing
pause; the site keeps serving and the limits still apply, only per process. The operator sees one
warning per process when that begins, naming Redis, and one line when Redis answers again.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.engine import make_url

from .extensions import limiter

#: Flask-Limiter's own words for the moments it switches storage (flask_limiter/_extension.py).
FELL_BACK = "Rate limit storage unreachable - falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"


def redacted(url: str) -> str:
    """``redis://host:port/db`` without the password, fit for a log line."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an address SQLAlchemy cannot parse: say where, not what it holds
        return url.split("@")[-1]


class RedisFallbackWords(logging.Filter):
    """Rewrites Flask-Limiter's two storage messages so that they name Redis and what follows."""

    def __init__(self) -> None:
        super().__init__()
        self.where = "Redis"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == FELL_BACK:
            record.msg = (
                "%s is unreachable: rate limits fall back to this process's memory (counted per "
                "process, not shared between workers or instances) until it answers again"
            )
            record.args = (self.where,)
        elif record.msg == RECOVERED:
            record.msg = "%s answers again: rate limits are shared through it again"
            record.args = (self.where,)
        return True


_words = RedisFallbackWords()


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith(("redis", "valkey")):
        _words.where = f"Redis ({redacted(uri)})"
        if _words not in limiter.logger.filters:
            limiter.logger.addFilter(_words)
