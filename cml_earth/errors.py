"""Domain errors raised by services and the localised error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
}


def _render_error(status: int, detail: str | None = None):
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500] if status >= 500 else ERROR_TEXTS[400])
    return render_template(
        "errors/error.html", status=status, title=title, text=detail or text
    ), status


def init_app(app: Flask) -> None:
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
        if error.code >= 500:
            # Flask has logged the cause; the session may be unusable until rolled back.
            db.session.rollback()
        return _render_error(error.code)
