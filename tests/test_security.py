"""Security properties every page shares: headers, cookies, CSRF, safe GETs, limits and errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from cml_earth import PROJECT_ROOT, create_app
from cml_earth.audit.models import AuditEvent
from cml_earth.auth.models import Consent, Member, MemberSession
from cml_earth.extensions import db

from .conftest import csrf_token, fetch_member, scalar, submit

CSRF_MESSAGE = "The form had expired or was sent from elsewhere"
UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/none"


# --- helpers --------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def argumentless_get_paths(app) -> list[str]:
    """Every GET route of the app that takes no URL arguments."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments
    )


def html_pages(app) -> list[str]:
    """Pages to check: every argument-less GET route, the information pages and a 404."""
    from cml_earth.main.routes import INFORMATION_PAGES

    return [
        *argumentless_get_paths(app),
        *(f"/about/{page}" for page in INFORMATION_PAGES),
        "/no-such-page",
    ]


def post_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
        key=lambda rule: rule.rule,
    )


def sample_path(rule) -> str:
    """The rule's path with every URL argument filled in with a plausible value."""
    # <any(hug, high_five):kind> takes its first choice; anything else takes "1".
    path = re.sub(r"<any\(\s*([^,)\s]+)[^>]*>", r"\1", rule.rule)
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", path)


def set_cookies(response, name: str) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def cookie_attributes(cookie: str) -> set[str]:
    """The attributes of a Set-Cookie value, lower-cased: {"secure", "httponly", "samesite=lax"}."""
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def counts(app) -> dict[str, int]:
    return {
        model.__tablename__: scalar(app, select(func.count()).select_from(model))
        for model in (Member, MemberSession, Consent, AuditEvent)
    }


def production_app(app_config, **extra):
    """The production configuration on the test database."""
    return create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "x" * 48,
            "SQLALCHEMY_DATABASE_URI": app_config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app_config["INSTANCE_PATH"],
            **extra,
        }
    )


# --- headers --------------------------------------------------------------------------------


def assert_security_headers(response, path: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{path}: no Content-Security-Policy"
    directives = csp_directives(csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert directives.get("object-src") == ["'none'"], path
    assert directives.get("base-uri") == ["'none'"], path
    assert directives.get("frame-ancestors") == ["'none'"], path
    script_sources = directives.get("script-src", directives.get("default-src"))
    assert script_sources == ["'self'"], f"{path}: scripts from {script_sources}"
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }, path


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "member"])
def test_every_page_carries_the_security_headers(app, client, auth, patient, logged_in):
    if logged_in:
        assert auth.login(patient).status_code == 302
    seen_html = 0
    for path in html_pages(app):
        response = client.get(path)
        assert response.status_code < 500, path
        assert_security_headers(response, path)
        assert "Strict-Transport-Security" not in response.headers, f"{path}: HSTS over http"
        if response.mimetype == "text/html":
            seen_html += 1
    assert seen_html >= 8


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    response = client.get("/", base_url="https://localhost")
    assert response.status_code == 200
    hsts = response.headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600


def test_member_pages_are_not_stored_in_caches(app, client, auth, patient):
    assert auth.login(patient).status_code == 302
    for path in ["/", "/settings/preferences", "/about/guidelines", "/auth/verify"]:
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
        assert "Cookie" in response.headers.get("Vary", ""), path


# --- page content ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/about/guidelines"])
def test_no_inline_scripts_and_no_third_party_resources(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = Tags(response.get_data(as_text=True))
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts, "the page should load the site script"
    assert all(attrs.get("src") for attrs in scripts), "a <script> without src"
    assert page.script_text == []
    for tag, attrs in page.tags:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"inline event handler on <{tag}>: {handlers}"
        if tag in ("link", "script", "img", "iframe", "source", "video", "audio"):
            for name in ("src", "href", "srcset"):
                url = attrs.get(name) or ""
                host = urlsplit(url.strip()).netloc
                assert not host or host == "localhost", f"<{tag} {name}={url!r}> leaves the site"


def test_static_files_load_nothing_from_elsewhere():
    for path in (PROJECT_ROOT / "static").rglob("*"):
        if path.suffix in (".css", ".js", ".svg"):
            text = path.read_text()
            assert not re.search(r"(https?:)?//[\w.-]+\.\w+/", text.replace("www.w3.org", "")), path
            assert "@import" not in text, path


# --- cookies --------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, patient):
    response = auth.login(patient)
    assert response.status_code == 302
    cookies = set_cookies(response, "session")
    assert cookies, "login sets the session cookie"
    attributes = cookie_attributes(cookies[-1])
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_production_cookies_are_secure(app, app_config, patient):
    production = production_app(app_config)
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        assert production.config["REMEMBER_COOKIE_SECURE"] is True
        client = production.test_client()
        https = {"base_url": "https://localhost"}
        page = client.get("/auth/login", **https)
        assert page.status_code == 200
        response = client.post(
            "/auth/login",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "login": patient.username,
                "password": patient.password,
                "remember": "y",
            },
            headers={"Referer": "https://localhost/auth/login"},
            **https,
        )
        assert response.status_code == 302
        for name in ("session", "remember_token"):
            cookies = set_cookies(response, name)
            assert cookies, f"no {name} cookie set at login"
            attributes = cookie_attributes(cookies[-1])
            assert {"secure", "httponly", "samesite=lax"} <= attributes, cookies[-1]
        # The language cookie follows the same rule.
        home = client.get("/", **https)
        response = client.post(
            "/language",
            data={"csrf_token": csrf_token(home.get_data(as_text=True)), "locale": "sv"},
            headers={"Referer": "https://localhost/"},
            **https,
        )
        assert response.status_code == 302
        assert "secure" in cookie_attributes(set_cookies(response, "lang")[-1])
    finally:
        with production.app_context():
            db.engine.dispose()


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "member"])
def test_every_post_route_refuses_a_missing_csrf_token(app, client, auth, patient, logged_in):
    if logged_in:
        assert auth.login(patient).status_code == 302
    before = fetch_member(app, patient.id)
    rules = post_rules(app)
    assert len(rules) >= 8, [rule.rule for rule in rules]
    for rule in rules:
        path = sample_path(rule)
        data = {"locale": "sv", "login": patient.username, "password": patient.password}
        for sent in (data, {**data, "csrf_token": "forged"}):
            response = client.post(path, data=sent)
            assert response.status_code == 400, f"POST {path} answered {response.status_code}"
            assert CSRF_MESSAGE in response.get_data(as_text=True), path
    assert fetch_member(app, patient.id) == before


# --- no state change over GET ---------------------------------------------------------------


def test_get_requests_change_nothing(app, client, auth, patient):
    assert auth.login(patient).status_code == 302
    before_counts, before_member = counts(app), fetch_member(app, patient.id)
    paths = argumentless_get_paths(app)
    assert {"/", "/settings/preferences", "/auth/login", "/auth/register"} <= set(paths)
    for path in paths:
        assert client.get(path).status_code < 500, path
    assert counts(app) == before_counts
    assert fetch_member(app, patient.id) == before_member
    # Still logged in: no GET ended the session.
    assert patient.username in client.get("/").get_data(as_text=True)


# --- request limits -------------------------------------------------------------------------


def test_a_body_over_six_mebibytes_is_refused_with_the_error_page(client):
    body = b"login=" + b"x" * (6 * 1024 * 1024)
    for language, lang in (("en", 'lang="en"'), ("sv", 'lang="sv"')):
        response = client.post(
            "/auth/login",
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"Accept-Language": language},
        )
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert lang in html
        assert "413" in html
    assert "Too large" in client.post(
        "/auth/login", data=body, content_type="application/x-www-form-urlencoded"
    ).get_data(as_text=True)


def test_a_multipart_text_field_over_the_form_memory_limit_is_refused(app, client):
    size = app.config["MAX_FORM_MEMORY_SIZE"] + 1
    assert size < 6 * 1024 * 1024
    response = client.post(
        "/auth/login",
        data={"login": "x" * size},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


@pytest.mark.parametrize("query", ["?q=%00", "?next=/%00", "?a=1&b=x%00y"])
def test_nul_byte_in_the_query_string_is_a_bad_request(client, query):
    for path in ("/", "/auth/login"):
        response = client.get(path + query)
        assert response.status_code == 400
        assert "Bad request" in response.get_data(as_text=True)


# --- error pages ----------------------------------------------------------------------------


def test_404_page_in_english_and_swedish(client):
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    swedish = client.get("/no-such-page", headers={"Accept-Language": "sv"})
    assert english.status_code == swedish.status_code == 404
    english_html, swedish_html = english.get_data(as_text=True), swedish.get_data(as_text=True)
    assert '<html lang="en"' in english_html
    assert "Page not found" in english_html
    assert '<html lang="sv"' in swedish_html
    assert swedish_html != english_html


def test_get_on_logout_is_405(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "This address does not accept that kind of request." in response.get_data(as_text=True)


class TestServerError:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["PROPAGATE_EXCEPTIONS"] = False
        return app_config

    @pytest.fixture
    def app(self, app):
        def explode():
            db.session.add(AuditEvent(kind="test.explode", data={}))
            db.session.flush()
            raise RuntimeError("test-only failure")

        app.add_url_rule("/test-only/explode", "test_only_explode", explode, methods=["POST"])
        return app

    def test_500_rolls_back_and_shows_the_localised_page(self, app, client, caplog):
        pages = {}
        for language in ("en", "sv"):
            response = submit(
                client, "/test-only/explode", {}, page="/", headers={"Accept-Language": language}
            )
            assert response.status_code == 500
            pages[language] = response.get_data(as_text=True)
            assert f'<html lang="{language}"' in pages[language]
            assert "test-only failure" not in pages[language]
        assert "Something went wrong" in pages["en"]
        assert "Nothing you sent was saved" in pages["en"]
        assert pages["sv"] != pages["en"]
        assert scalar(app, select(func.count(AuditEvent.id))) == 0
        assert "test-only failure" in caplog.text  # logged for the operators


# --- health checks --------------------------------------------------------------------------


def test_healthz_answers_without_the_database_and_readyz_reports_it(tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": UNREACHABLE_POSTGRES,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    attempts = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "do_connect", lambda *args: attempts.append(1))
    client = app.test_client()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "ok"
    assert attempts == []

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "database unavailable"
    assert attempts, "readyz must really ask the database"
    engine.dispose()


def test_healthz_runs_no_sql_even_for_a_logged_in_member(app, client, auth, patient):
    assert auth.login(patient).status_code == 302
    statements = []
    with app.app_context():
        engine = db.engine

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get("/healthz")
        assert response.status_code == 200 and response.get_data(as_text=True) == "ok"
        assert statements == []
        assert client.get("/readyz").get_data(as_text=True) == "ok"
        assert statements, "the listener sees the statements of other requests"
    finally:
        event.remove(engine, "before_cursor_execute", capture)
