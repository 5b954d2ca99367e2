"""Fixtures of the browser tests: one live site per test process, Chromium, and visitors.

``make e2e`` (part of ``make test``) installs what these need first: Debian's ``chromium`` and
``chromium-driver`` (apt-get, when missing) and axe-core from npm (``tests/e2e/package.json``).
Running them without it fails with a message that says so: a browser test never skips.

Each browser test file is one xdist group (``--dist loadgroup``): its tests run in one test
process, which starts the live sites and Chromium once for them, beside the rest of the suite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

from ..live import live_server
from .site import AXE_SCRIPT, CHROMIUM, CHROMIUM_FLAGS, MailServer, Site, Visitor

INSTALL_HINT = "run `make e2e-deps` (apt-get install chromium chromium-driver; npm ci in tests/e2e)"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))


@contextlib.contextmanager
def _site(tmp_path_factory, name: str, commands: tuple = ()) -> Iterator[Site]:
    mail = MailServer()
    mail.controller.start()
    folder = tmp_path_factory.mktemp(name)
    try:
        with live_server(folder, mail.settings, commands=commands) as server:
            site = Site(server, mail.inbox, folder / "instance")
            try:
                yield site
            finally:
                site.close()
        assert "Traceback" not in server.log_text(), server.log_text()
    finally:
        mail.controller.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    """The site on a fresh, empty database: the journeys start from nothing."""
    with _site(tmp_path_factory, "e2e-site") as site:
        yield site


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Iterator[Site]:
    """The site with the demo community (``flask demo seed``): every kind of page has content."""
    with _site(tmp_path_factory, "e2e-demo", commands=(("demo", "seed"),)) as site:
        yield site


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: {INSTALL_HINT}")
    return AXE_SCRIPT.read_text()


@pytest.fixture
def visit(chromium):
    """Open a new visitor: ``visit(site, "sv")`` (own cookies), optional JavaScript off.

    Every visitor's page must end the test without a JavaScript error or a dialog.
    """
    contexts = []
    visitors: list[Visitor] = []

    def open_visitor(site: Site, locale: str = "en", javascript: bool = True, **options) -> Visitor:
        context = chromium.new_context(
            locale={"en": "en-GB", "sv": "sv-SE"}.get(locale, locale),
            java_script_enabled=javascript,
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        visitor = Visitor(context.new_page(), locale, site)
        visitors.append(visitor)
        return visitor

    yield open_visitor
    for context in contexts:
        context.close()
    for visitor in visitors:
        assert not visitor.errors, f"JavaScript errors: {visitor.errors}"
        assert not visitor.dialogs, f"unexpected dialogs: {visitor.dialogs}"
