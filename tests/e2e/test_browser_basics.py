"""The browser tests' own ground: the site answers in Chromium, in each locale, without errors."""

from __future__ import annotations

import pytest

from .site import LOCALES


@pytest.mark.parametrize("locale", LOCALES)
def test_the_home_page_opens_in_the_browsers_language(site, visit, locale):
    visitor = visit(site, locale)
    response = visitor.go("/")
    assert response.status == 200
    assert visitor.page.locator("html").get_attribute("lang") == locale
    assert visitor.link("Log in").first.is_visible()
    assert visitor.link("Join").first.is_visible()
