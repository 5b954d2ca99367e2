"""axe-core (the npm package in tests/e2e) run inside a page: its WCAG 2.1 A/AA findings.

Pages are opened in a context made with ``bypass_csp=True`` so the injected script may run:
the site's CSP forbids inline scripts, as it should.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@dataclass
class Finding:
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"[{self.impact}] {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def audit(page: Page, axe_source: str) -> list[Finding]:
    """Every axe violation of the tags in ``TAGS`` on the page as it is now."""
    start(page, axe_source)
    return finish(page)


def start(page: Page, axe_source: str) -> None:
    """Begin the audit of the page as it is now, without waiting for it.

    The browser works on it while the test loads the next page in another tab: on a machine
    with few cores that nearly halves the time of auditing every page type.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    page.evaluate(
        "tags => { window.__axeResult = axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}); }",
        TAGS,
    )


def finish(page: Page) -> list[Finding]:
    """The findings of the audit ``start`` began on the page."""
    result = page.evaluate("() => window.__axeResult")
    return [
        Finding(
            violation["id"],
            violation.get("impact") or "minor",
            violation["help"],
            [", ".join(node["target"]) for node in violation["nodes"]],
        )
        for violation in result["violations"]
    ]


def blocking(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.impact in BLOCKING]
