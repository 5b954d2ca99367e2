"""Domain errors raised by services and the localised error pages."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db


class DomainError(Exception):
    """A rule of the community was broken; ``errors`` maps form fields ('' = whole form) to text."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("Something in the request was not right. Please try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("We could not find the page you were looking for.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (
        _l("Too large"),
        _l("What you sent was larger than we accept. Please send something smaller."),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried this too many times. Please wait a while and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. Nothing you sent was saved. Please try again."),
    ),
    503: (
        _l("Briefly unavailable"),
        _l("We cannot reach our database for a moment. Please try again in a few seconds."),
    ),
}

#: Seconds a client is asked to wait when the database is unreachable (a restart, a failover).
RETRY_AFTER_SECONDS = 5

#: The 503 page when even the error page cannot be rendered (it reads the member from the database).
UNAVAILABLE_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Briefly unavailable'
    "</title></head><body><h1>Briefly unavailable</h1><p>We cannot reach our database for a "
    "moment. Please try again in a few seconds.</p></body></html>"
)


def _render_error(status: int, detail: str | None = None):
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500] if status >= 500 else ERROR_TEXTS[400])
    return render_template(
        "errors/error.html", status=status, title=title, text=detail or text
    ), status


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database cannot be reached (down, restarting, connection lost)."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _unavailable(error: BaseException):
    """503 with Retry-After: the database is away for a moment; the pool reconnects by itself."""
    current_app.logger.warning("Database unavailable, answered 503: %s", error)
    # The connection is gone either way; an invalidated one goes back to the pool as unusable.
    with contextlib.suppress(Exception):
        db.session.rollback()
    try:
        body, _status = _render_error(503)
    except Exception:  # the page's layout reads the member, and the database is still away
        body = UNAVAILABLE_HTML
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_app(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    def _operational_error(error: OperationalError):
        return _unavailable(error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _render_error(
            400,
            _l(
                "The form had expired or was sent from elsewhere. Please go back, reload the page "
                "and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith("/static/"):
            return error
        if error.code == 500 and database_unavailable(getattr(error, "original_exception", None)):
            # Lost while committing (after_request) or another disconnect: Flask has logged it.
            return _unavailable(error.original_exception)
        if error.code >= 500:
            # Flask has logged the cause; the session may be unusable until rolled back.
            db.session.rollback()
        return _render_error(error.code)
