"""Response headers and redirect checks that every page shares."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import Flask, Request, Response, abort, g, request
from werkzeug.formparser import FormDataParser

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_redirect(target: str | None) -> bool:
    """True only for a path on this site ("/..."), never another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_redirect(target) else default


class _FormDataParser(FormDataParser):
    """Undecodable bytes in a urlencoded form become U+FFFD, as multipart parts already do.

    Werkzeug keeps them as literal "%FF" text instead, which no form can tell from typed text;
    U+FFFD is what ``cml_earth.forms.Form`` refuses. Multipart parts whose name cannot be read
    are left out.
    """

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype != "application/x-www-form-urlencoded":
            stream, form, files = super().parse(stream, mimetype, content_length, options)
            return stream, _named(self.cls, form), _named(self.cls, files)
        body = stream.read().decode(errors="replace")
        items = parse_qsl(body, keep_blank_values=True, errors="replace")
        return stream, self.cls(items), self.cls()


def _named(cls, fields):
    """A multipart body's fields without those whose name could not be read (a line break in
    its header makes it None), which would break every reader of the form (a server error)."""
    if None not in fields:
        return fields
    for value in fields.getlist(None):
        if hasattr(value, "close"):
            value.close()
    return cls((name, value) for name, value in fields.items(multi=True) if name is not None)


class _Request(Request):
    form_data_parser_class = _FormDataParser


def init_app(app: Flask) -> None:
    app.request_class = _Request

    @app.before_request
    def _refuse_control_characters():
        # Query strings and paths reach views outside forms; a NUL byte is never meaningful in
        # one, and PostgreSQL refuses it in a query (a server error when a view looks it up).
        # No address has one: not found.
        if "\x00" in request.path:
            abort(404)
        for values in request.args.listvalues():
            if any("\x00" in value for value in values):
                abort(400)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Only a member already loaded for this request counts: /healthz must not touch the DB.
        member = g.get("_login_user")
        if member is not None and member.is_authenticated:
            # Health data must not linger in shared caches or a shared computer's back button.
            headers["Cache-Control"] = "no-store"
            headers.add("Vary", "Cookie")
        return response
