"""Accessibility (issue 7): axe-core on every page type, keyboard-only journeys, 200% text.

Every HTML page type of the site is opened in Chromium in each shipped locale, logged out where
anyone may see it and logged in (a member, or staff for the staff pages), and audited with
axe-core for WCAG 2.0/2.1 A and AA: no finding of impact serious or critical may remain; the
lesser ones are printed (run with ``-s``). A GET route that is missing from the table below fails
``test_every_page_type_is_checked``, so a new page cannot slip past the audit.

Registration and sending a hug are done with the keyboard alone (focus order, a visible focus
indicator on every stop, no trap) and with the text at 200% (nothing scrolls sideways, every
control stays visible and clickable).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from flask import Flask
from pyotp import TOTP
from sqlalchemy import select, update
from werkzeug.exceptions import HTTPException

from . import axe
from .site import LOCALES, Member, _fresh_code, link_in

ZOOM_CSS = "html { font-size: 200% !important; }"
VIEWPORT = {"width": 1280, "height": 800}
MAX_TABS = 120  # more stops than any page has: reaching it means focus is trapped or lost

# --- the page types ----------------------------------------------------------------------------

#: Who opens a page: anyone (checked logged out and as a member), only visitors who are not
#: logged in (the sign-in pages send members home), members, or staff.
ANYONE, LOGGED_OUT, MEMBER, STAFF = "anyone", "logged out", "member", "staff"


@dataclass(frozen=True)
class PageType:
    endpoint: str
    path: str  # with {placeholders} filled from the demo data (see ``examples``)
    audience: str
    status: int = 200
    lands: str | None = None  # where the page answers when it redirects on purpose


PAGES = [
    PageType("main.home", "/", ANYONE),
    PageType("main.information", "/about/guidelines", ANYONE),
    PageType("main.information", "/about/privacy", ANYONE),
    PageType("main.information", "/about/disclaimer", ANYONE),
    PageType("main.information", "/about/sponsor", ANYONE),
    PageType("help.about", "/help/about", ANYONE),
    PageType("help.crisis", "/help/crisis", ANYONE),
    PageType("help.side_effects", "/help/side-effects", ANYONE),
    PageType("auth.login", "/auth/login", LOGGED_OUT),
    PageType("auth.register", "/auth/register", LOGGED_OUT),
    PageType("auth.check_inbox", "/auth/register/check-inbox", LOGGED_OUT),
    PageType("auth.reset_request", "/auth/reset", LOGGED_OUT),
    # Links from mails that were altered or expired: the "link problem" pages.
    PageType("auth.reset_password", "/auth/reset/not-a-real-token", LOGGED_OUT, 400),
    PageType("auth.verify", "/auth/verify/not-a-real-token", ANYONE, 400),
    PageType("notifications.unsubscribe", "/notifications/unsubscribe/not-a-token", ANYONE, 400),
    PageType("groups.index", "/groups/", ANYONE),
    PageType("groups.group", "/groups/{group}", ANYONE),
    PageType("groups.members", "/groups/{group}/members", ANYONE),
    PageType("groups.countries", "/groups/countries", ANYONE),
    PageType("groups.country", "/groups/country/SE", ANYONE),
    PageType("groups.country", "/groups/country/IS", ANYONE),  # no group yet: "start one"
    PageType("groups.world_map", "/groups/map", ANYONE),
    PageType("groups.near", "/groups/near?place=Stockholm", ANYONE),
    PageType("profiles.directory", "/members/", ANYONE),
    PageType("profiles.profile", "/members/{member}", ANYONE),
    PageType("social.followers", "/members/{member}/followers", ANYONE),
    PageType("social.following", "/members/{member}/following", ANYONE),
    PageType("reactions.member_senders", "/members/{member}/reactions", ANYONE),
    PageType("stories.member_stories", "/members/{member}/stories", ANYONE),
    PageType("stories.story", "/stories/{story}", ANYONE),
    PageType("reactions.story_senders", "/stories/{story}/reactions", ANYONE),
    PageType("reactions.comment_senders", "/comments/{comment}/reactions", ANYONE),
    PageType("search.search", "/search?q=tea", ANYONE),
    PageType("search.search", "/search", ANYONE),
    PageType("reports.notice", "/report/notice", ANYONE),
    PageType("errors.404", "/no-such-page", ANYONE, 404),
    PageType("stories.feed", "/feed", MEMBER),
    PageType("stories.new_story", "/stories/new", MEMBER),
    PageType("stories.edit_story", "/stories/{own_story}/edit", MEMBER),
    PageType("stories.delete_story", "/stories/{own_story}/delete", MEMBER),
    PageType("stories.edit_comment", "/comments/{own_comment}/edit", MEMBER),
    PageType("stories.story", "/stories/{own_story}", MEMBER),  # the author's own view
    PageType("notifications.index", "/notifications", MEMBER),
    PageType("reports.report", "/report/story/{story}", MEMBER),
    PageType("social.block", "/members/{other}/block", MEMBER),
    PageType("groups.propose", "/groups/new", MEMBER),
    PageType("safety.consent", "/safety/consent/{own_case}", MEMBER),
    PageType("account.index", "/settings/", MEMBER, lands="/settings/profile"),
    PageType("profiles.edit_profile", "/settings/profile", MEMBER),
    PageType("profiles.edit_avatar", "/settings/avatar", MEMBER),
    PageType("profiles.privacy", "/settings/privacy", MEMBER),
    PageType("account.preferences", "/settings/preferences", MEMBER),
    PageType("account.notifications", "/settings/notifications", MEMBER),
    PageType("account.email", "/settings/email", MEMBER),
    PageType("account.password", "/settings/password", MEMBER),
    PageType("account.devices", "/settings/devices", MEMBER),
    PageType("social.blocked", "/settings/blocked", MEMBER),
    PageType("account.consent", "/settings/health-consent", MEMBER),
    PageType("account.withdraw_consent", "/settings/health-consent/withdraw", MEMBER),
    PageType("account.export", "/settings/export", MEMBER),
    PageType("account.delete", "/settings/delete", MEMBER),
    PageType("account.two_factor", "/settings/two-factor", MEMBER),
    PageType("account.enable_two_factor", "/settings/two-factor/enable", MEMBER),
    PageType("errors.403", "/moderation/", MEMBER, 403),
    PageType("moderation.queue", "/moderation/", STAFF),
    PageType("moderation.item", "/moderation/items/{item}", STAFF),
    PageType("moderation.item", "/moderation/items/{appeal_item}", STAFF),
    PageType("moderation.decisions", "/moderation/decisions", STAFF),
    PageType("moderation.decision", "/moderation/decisions/{decision}", STAFF),
    PageType("moderation.action_log", "/moderation/log", STAFF),
    PageType("staff_members.member", "/moderation/members/{seller}", STAFF),
    PageType("safety.cases", "/safety/", STAFF),
    PageType("safety.case", "/safety/cases/{case}", STAFF),
    PageType("groups.proposals", "/groups/proposals", STAFF),
    PageType("groups.edit", "/groups/{group}/edit", STAFF),
    PageType("account.new_recovery_codes", "/settings/two-factor/recovery-codes", STAFF),
    PageType("main.home", "/", STAFF),
]

#: Pages reached only along a journey (a link from a mail, a step of signing in): where.
JOURNEYS = {
    "auth.reset_password": (LOGGED_OUT, "the link of a password-reset mail"),
    "auth.verify": (LOGGED_OUT, "the link of a verification mail"),
    "auth.unverified": (LOGGED_OUT, "a member logged in before confirming the address"),
    "auth.two_factor_setup": (LOGGED_OUT, "staff signing in without an authenticator"),
    "notifications.unsubscribe": (LOGGED_OUT, "a genuine unsubscribe link"),
    "reports.notice_receipt": (LOGGED_OUT, "after sending a notice"),
    "account.confirm_email": (MEMBER, "the link of an email-change mail"),
    "account.disable_two_factor": (MEMBER, "after turning two-step sign-in on"),
    "account.new_recovery_codes": (MEMBER, "after turning two-step sign-in on"),
    "auth.two_factor_login": (STAFF, "the second step of the staff login"),
}

#: GET routes that answer with something other than an HTML page: nothing for axe to audit.
NOT_HTML = {
    "static",  # CSS, JavaScript, pictures
    "main.healthz",  # plain-text health checks for the load balancer
    "main.readyz",
    "profiles.avatar",  # WebP pictures
    "groups.world_map_image",  # SVG (the map page that shows it is audited)
    "moderation.action_log_csv",  # CSV download
    "safety.export_csv",  # CSV download
    "safety.export_xml",  # E2B-shaped XML download
}

# --- results -------------------------------------------------------------------------------


@dataclass
class Results:
    """Every audit of the run, for the summary printed at the end (``-s``)."""

    pages: list[tuple[str, str, str, int, list]] = field(default_factory=list)

    def add(self, locale: str, who: str, path: str, findings: list) -> None:
        self.pages.append((locale, who, path, len(axe.blocking(findings)), findings))

    def summary(self) -> str:
        lines = []
        by_group = defaultdict(lambda: [0, 0, 0])
        for locale, who, _path, serious, findings in self.pages:
            counts = by_group[(who, locale)]
            counts[0] += 1
            counts[1] += serious
            counts[2] += len(findings) - serious
        for (who, locale), (pages, serious, lesser) in sorted(by_group.items()):
            lines.append(
                f"  {who:<10} {locale}: {pages:3d} pages, {serious} serious/critical, "
                f"{lesser} lesser"
            )
        lesser_lines = sorted(
            {
                f"  [{locale}] {who} {path}: {finding}"
                for locale, who, path, _serious, findings in self.pages
                for finding in findings
                if finding.impact not in axe.BLOCKING
            }
        )
        total = len(self.pages)
        head = f"axe-core audits: {total} pages ({', '.join(axe.TAGS)})"
        lesser = ["lesser findings:", *lesser_lines] if lesser_lines else ["no lesser findings"]
        return "\n".join([head, *lines, *lesser])


@pytest.fixture(scope="module")
def results():
    collected = Results()
    yield collected
    print("\n" + collected.summary())


class Audit:
    """Audits pages for one visitor (one locale and role) and collects what fails."""

    def __init__(self, visitor, axe_source: str, who: str, results: Results, endpoints):
        self.visitor = visitor
        self.axe_source = axe_source
        self.who = who
        self.results = results
        self.endpoint_of = endpoints
        self.failures: list[str] = []
        self.audited: set[str] = set()
        self.tabs = [visitor.page]

    def _check_answer(self, page, response, expected: PageType) -> bool:
        path = page.url.removeprefix(self.visitor.site.url)
        lands = expected.lands or expected.path
        if response.status != expected.status or path != lands:
            self.failures.append(
                f"{expected.path}: answered {response.status} at {path}, "
                f"not {expected.status} at {lands}"
            )
            return False
        lang = page.locator("html").get_attribute("lang")
        if lang != self.visitor.locale:
            self.failures.append(f"{expected.path}: <html lang={lang!r}>")
        return True

    def _record(self, label: str, endpoint: str, findings: list) -> None:
        self.results.add(self.visitor.locale, self.who, label, findings)
        self.audited.add(endpoint)
        self.failures.extend(f"{label}: {finding}" for finding in axe.blocking(findings))

    def pages(self, pages: list[PageType], examples: dict) -> None:
        """Open and audit each page, two tabs in turn."""
        if len(self.tabs) == 1:
            # A second tab in the same context: the browser audits a page while the next loads.
            second = self.visitor.page.context.new_page()
            second.on("pageerror", lambda error: self.visitor.errors.append(str(error)))
            self.tabs.append(second)
        waiting = None
        for number, expected in enumerate(pages):
            expected = PageType(
                expected.endpoint,
                expected.path.format_map(examples),
                expected.audience,
                expected.status,
                expected.lands,
            )
            tab = self.tabs[number % 2]
            response = tab.goto(self.visitor.site.url + expected.path)
            if self._check_answer(tab, response, expected):
                axe.start(tab, self.axe_source)
            else:
                tab = None
            if waiting is not None:
                self._record(*waiting[1:], axe.finish(waiting[0]))
            waiting = (tab, expected.path, expected.endpoint) if tab is not None else None
        if waiting is not None:
            self._record(*waiting[1:], axe.finish(waiting[0]))

    def here(self, label: str | None = None) -> None:
        """Audit the visitor's page as it is now (a step of a journey)."""
        page = self.visitor.page
        page.wait_for_load_state()
        lang = page.locator("html").get_attribute("lang")
        if lang != self.visitor.locale:
            self.failures.append(f"{page.url}: <html lang={lang!r}>")
        label = label or page.url.removeprefix(self.visitor.site.url)
        self._record(label, self.endpoint_of(page.url), axe.audit(page, self.axe_source))

    def assert_clean(self, expected_endpoints: set[str]) -> None:
        missing = expected_endpoints - self.audited
        problems = [*self.failures]
        if missing:
            problems.append(f"page types not audited: {sorted(missing)}")
        assert not problems, (
            f"{self.who} in {self.visitor.locale}: {len(problems)} problems\n  "
            + "\n  ".join(problems)
        )


def _endpoint_resolver(app):
    adapter = app.url_map.bind("localhost")

    def endpoint_of(url: str) -> str:
        path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
        try:
            endpoint, _values = adapter.match(path, method="GET")
        except HTTPException as error:
            return f"errors.{error.code}"
        return endpoint

    return endpoint_of


# --- demo data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples(demo_site):
    """Where each page type has content in the demo community."""
    from cml_earth.auth.models import Member as MemberRow
    from cml_earth.moderation.models import Decision, ModerationItem
    from cml_earth.safety.models import AdverseEventCase
    from cml_earth.stories.models import Comment, Story

    tea = demo_site.scalar(select(MemberRow.id).where(MemberRow.username == "TeaAndTKIs"))
    public_story = demo_site.scalar(
        select(Story.id)
        .where(Story.author_id == tea, Story.visibility == "public", Story.hidden_at.is_(None))
        .order_by(Story.id)
    )
    public_comment = demo_site.scalar(
        select(Comment.id)
        .join(Story, Comment.story_id == Story.id)
        .where(Story.visibility == "public", Story.hidden_at.is_(None))
        .order_by(Comment.id)
    )
    return {
        "member": "TeaAndTKIs",
        "other": "ErikMedHund",
        "seller": "CureSellerBob",
        "group": "cml-uk",
        "story": public_story,
        "comment": public_comment,
        "item": demo_site.scalar(
            select(ModerationItem.id)
            .where(ModerationItem.target_type == "story")
            .order_by(ModerationItem.id)
        ),
        "appeal_item": demo_site.scalar(
            select(ModerationItem.id).where(ModerationItem.target_type == "decision")
        ),
        "decision": demo_site.scalar(select(Decision.id).order_by(Decision.id)),
        "case": demo_site.scalar(select(AdverseEventCase.id).order_by(AdverseEventCase.id)),
    }


@pytest.fixture(scope="module")
def endpoint_of(demo_site):
    return _endpoint_resolver(demo_site.app)


def _pages_for(*audiences: str) -> list[PageType]:
    return [page for page in PAGES if page.audience in audiences]


def _one_of_each(pages: list[PageType]) -> list[PageType]:
    """The first example of each page type: logged in, the variants add only time."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for page in pages:
        if (page.endpoint, page.status) not in seen:
            seen.add((page.endpoint, page.status))
            kept.append(page)
    return kept


def _endpoints(pages: list[PageType], journeys_of: str | None = None) -> set[str]:
    endpoints = {page.endpoint for page in pages}
    return endpoints | {name for name, (who, _where) in JOURNEYS.items() if who == journeys_of}


def _set_member(site, member_id: int, **values) -> None:
    from cml_earth.auth.models import Member as MemberRow
    from cml_earth.extensions import db

    with site.app.app_context():
        db.session.execute(update(MemberRow).where(MemberRow.id == member_id).values(**values))
        db.session.commit()


def _mail_link(site, to: str, path: str) -> str:
    """The link to ``path`` in the next mail to ``to`` that has one."""
    while True:
        message = site.mail.wait_for(to)
        if path in str(message.get_body(preferencelist=("plain",)).get_content()):
            return link_in(message, path).removeprefix(site.url)


def _log_in_with_password(visitor, username: str, password: str) -> None:
    visitor.go("/auth/login")
    visitor.field("login").fill(username)
    visitor.field("password").fill(password)
    visitor.page.locator("form:has([name='password']) [type='submit']").click()
    visitor.page.wait_for_load_state()


# --- every page type, logged out, as a member and as staff -------------------------------------


def test_every_page_type_is_checked(demo_site):
    """Each GET route is in the table (or a journey), or answers with something other than HTML."""
    app = demo_site.app
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    covered = {page.endpoint for page in PAGES} | set(JOURNEYS)
    unchecked = routes - covered - NOT_HTML
    assert not unchecked, f"GET routes no accessibility test opens: {sorted(unchecked)}"
    gone = (covered | NOT_HTML) - routes - {"errors.404", "errors.403"}
    assert not gone, f"the table names routes the app no longer has: {sorted(gone)}"
    adapter = app.url_map.bind("localhost")
    dummy = defaultdict(lambda: "1")
    for page in PAGES:
        if page.endpoint.startswith("errors.") or page.status != 200:
            continue
        endpoint, _values = adapter.match(page.path.format_map(dummy).split("?")[0])
        assert endpoint == page.endpoint, page


@pytest.mark.parametrize("locale", LOCALES)
def test_pages_logged_out(demo_site, visit, axe_source, examples, endpoint_of, results, locale):
    site = demo_site
    visitor = visit(site, locale, bypass_csp=True)
    audit = Audit(visitor, axe_source, "logged out", results, endpoint_of)
    audit.pages(_pages_for(ANYONE, LOGGED_OUT), examples)

    # A member who has not confirmed the address yet asks for a new password ...
    newcomer = site.make_member(f"A11yNew{locale}", locale=locale)
    _set_member(site, newcomer.id, email_verified_at=None)
    visitor.go("/auth/reset")
    visitor.field("email").fill(newcomer.email)
    visitor.page.locator("form:has([name='email']) [type='submit']").click()
    visitor.page.wait_for_load_state()
    assert visitor.go(_mail_link(site, newcomer.email, "/auth/reset/")).status == 200
    audit.here("/auth/reset/<token>")

    # ... logs in, is asked to confirm the address, and has the link sent again.
    unverified = visit(site, locale, bypass_csp=True)
    unverified_audit = Audit(unverified, axe_source, "unverified", results, endpoint_of)
    _log_in_with_password(unverified, newcomer.username, newcomer.password)
    assert unverified.go("/auth/verify").status == 200
    unverified_audit.here()
    unverified.button("Send the link again").click()
    unverified.page.wait_for_load_state()
    assert visitor.go(_mail_link(site, newcomer.email, "/auth/verify/")).status == 200
    audit.here("/auth/verify/<token>")

    # Someone sends a notice about a story.
    visitor.go("/report/notice")
    visitor.field("reason").select_option("misinformation")
    visitor.field("location").fill(f"{site.url}/stories/{examples['story']}")
    visitor.field("explanation").fill("It tells people to stop their medicine.")
    visitor.field("name").fill("A. Reader")
    visitor.field("email").fill(f"reader-{locale}@example.org")
    visitor.field("good_faith").check()
    visitor.page.locator("form:has([name='good_faith']) [type='submit']").click()
    visitor.page.wait_for_url("**/report/notice/*")
    audit.here("/report/notice/<reference>")

    # The unsubscribe link of a notification mail (signed with the live site's key).
    token = _unsubscribe_token(site, newcomer.id)
    assert visitor.go(f"/notifications/unsubscribe/{token}").status == 200
    audit.here("/notifications/unsubscribe/<token>")

    # New sponsor staff sign in for the first time: they must set up an authenticator.
    recruit = site.make_member(f"A11yRecruit{locale}", locale=locale)
    _set_member(site, recruit.id, role="sponsor")
    staff = visit(site, locale, bypass_csp=True)
    staff_audit = Audit(staff, axe_source, "logged out", results, endpoint_of)
    _log_in_with_password(staff, recruit.username, recruit.password)
    staff.page.wait_for_url("**/auth/two-factor/setup")
    staff_audit.here()

    audit.audited |= unverified_audit.audited | staff_audit.audited
    audit.failures += unverified_audit.failures + staff_audit.failures
    audit.assert_clean(_endpoints(_pages_for(ANYONE, LOGGED_OUT), journeys_of=LOGGED_OUT))


def _unsubscribe_token(site, member_id: int) -> str:
    from cml_earth.auth.models import Member as MemberRow
    from cml_earth.extensions import db
    from cml_earth.notifications.services import unsubscribe_token

    signer = Flask("signer")
    signer.config["SECRET_KEY"] = (site.instance / "secret_key").read_text().strip()
    with site.app.app_context():
        member = db.session.get(MemberRow, member_id)
        with signer.app_context():
            return unsubscribe_token(member)


def _member_with_content(site, locale: str) -> tuple[Member, dict]:
    """A member with a story naming a side effect, a word of support, and a question from the
    safety team about that side effect."""
    from cml_earth.auth.models import Member as MemberRow
    from cml_earth.extensions import db
    from cml_earth.safety.consent import request_contact
    from cml_earth.safety.models import AdverseEventCase
    from cml_earth.stories import services as stories

    member = site.make_member(f"A11yMember{locale}", locale=locale, health_consent=True)
    with site.app.app_context():
        author = db.session.get(MemberRow, member.id)
        story = stories.publish_story(
            author,
            title="Cramps at night",
            body="Since I switched to Sprycel I have bad muscle cramps at night.",
            language="en",
            visibility="public",
            submission_key=None,
        )
        comment = stories.create_comment(author, story, "Thank you for reading.", None)
        case = db.session.scalar(
            select(AdverseEventCase).where(AdverseEventCase.member_id == member.id)
        )
        assert case is not None, "the side effect opened no case"
        admin = db.session.scalar(select(MemberRow).where(MemberRow.username == "AdminAlex"))
        request_contact(case, admin)
        db.session.commit()
        own = {"own_story": story.id, "own_comment": comment.id, "own_case": case.id}
    return member, own


@pytest.mark.parametrize("locale", LOCALES)
def test_pages_as_member(demo_site, visit, axe_source, examples, endpoint_of, results, locale):
    site = demo_site
    member, own = _member_with_content(site, locale)
    visitor = visit(site, locale, bypass_csp=True)
    visitor.log_in(member)
    audit = Audit(visitor, axe_source, "member", results, endpoint_of)
    audit.pages(_one_of_each(_pages_for(ANYONE)) + _pages_for(MEMBER), examples | own)

    # Changing the email address: the confirmation link from the mail to the new one.
    new_address = f"a11y-new-{locale}@example.org"
    visitor.go("/settings/email")
    visitor.field("email").fill(new_address)
    visitor.field("password").fill(member.password)
    visitor.page.locator("form:has([name='email']) [type='submit']").click()
    visitor.page.wait_for_load_state()
    assert visitor.go(_mail_link(site, new_address, "/settings/email/confirm/")).status == 200
    audit.here("/settings/email/confirm/<token>")

    # Turning two-step sign-in on: the recovery codes, then the pages of a member who has it.
    visitor.go("/settings/two-factor/enable")
    secret = visitor.page.locator("code.secret").inner_text().replace(" ", "")
    visitor.field("password").fill(member.password)
    visitor.field("code").fill(TOTP(secret).now())
    visitor.page.locator("form:has([name='code']) [type='submit']").click()
    visitor.page.wait_for_load_state()
    assert visitor.page.locator("ol.recovery-codes li").count() == 10
    audit.here("/settings/two-factor/enable (recovery codes)")
    audit.pages(
        [
            PageType("account.disable_two_factor", "/settings/two-factor/disable", MEMBER),
            PageType("account.new_recovery_codes", "/settings/two-factor/recovery-codes", MEMBER),
            PageType("account.two_factor", "/settings/two-factor", MEMBER),
        ],
        {},
    )
    audit.assert_clean(_endpoints(_pages_for(ANYONE, MEMBER), journeys_of=MEMBER))


@pytest.mark.parametrize("locale", LOCALES)
def test_pages_as_staff(demo_site, visit, axe_source, examples, endpoint_of, results, locale):
    site = demo_site
    admin = site.make_member(f"A11yAdmin{locale}", role="admin", locale=locale)
    visitor = visit(site, locale, bypass_csp=True)
    audit = Audit(visitor, axe_source, "staff", results, endpoint_of)
    _log_in_with_password(visitor, admin.username, admin.password)
    visitor.page.wait_for_url("**/auth/two-factor")
    audit.here()
    visitor.field("code").fill(_fresh_code(site, admin))
    visitor.page.locator("form:has([name='code']) [type='submit']").click()
    visitor.page.wait_for_load_state()
    assert "/auth/" not in visitor.page.url, visitor.page.url
    audit.pages(_pages_for(STAFF), examples)
    audit.assert_clean(_endpoints(_pages_for(STAFF), journeys_of=STAFF))


# --- keyboard only ------------------------------------------------------------------------------

#: What the focused element is and how its focus shows, read in the page.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const all = [...document.querySelectorAll('*')];
  const transparent = c => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  return {
    tag: el.tagName.toLowerCase(),
    name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '',
    classes: el.className || '',
    text: (el.innerText || el.value || '').trim().slice(0, 60),
    position: all.indexOf(el),
    inForm: !!el.closest('main form'),
    inFooter: !!el.closest('footer'),
    focusVisible: el.matches(':focus-visible'),
    indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                && !transparent(style.outlineColor)) || style.boxShadow !== 'none',
    onScreen: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
              && rect.left < innerWidth,
  };
}"""

#: The form's keyboard stops in document order: one per radio group, as browsers do.
FORM_STOPS = """selector => {
  const form = document.querySelector(selector);
  const seen = new Set();
  return [...form.querySelectorAll('a[href], button, input, select, textarea')]
    .filter(el => !el.disabled && el.type !== 'hidden' && el.tabIndex >= 0
                  && el.getClientRects().length > 0)
    .filter(el => {
      if (el.type !== 'radio') return true;
      if (seen.has(el.name)) return false;
      seen.add(el.name);
      return true;
    })
    .map(el => el.getAttribute('name') || el.tagName.toLowerCase());
}"""


def _describe(stop: dict) -> str:
    return f"<{stop['tag']} name={stop['name']!r} class={stop['classes']!r}> {stop['text']!r}"


def _stop_name(stop: dict) -> str:
    return stop["name"] or stop["tag"]


def _tab(page, problems: list[str], shift: bool = False) -> dict:
    """Press Tab and check the new stop: shown on screen with a visible focus indicator."""
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    stop = page.evaluate(FOCUSED)
    assert stop is not None, "focus left the page's controls (went to the body)"
    if not (stop["focusVisible"] and stop["indicator"]):
        problems.append(f"no visible focus indicator on {_describe(stop)}")
    if not stop["onScreen"]:
        problems.append(f"focused but off screen: {_describe(stop)}")
    return stop


def _tab_until(page, problems, reached, stops: list[dict], shift: bool = False) -> dict:
    for _press in range(MAX_TABS):
        stop = _tab(page, problems, shift)
        stops.append(stop)
        if reached(stop):
            return stop
    raise AssertionError(
        f"focus never got there in {MAX_TABS} presses of Tab (a trap?): "
        + " → ".join(_describe(stop) for stop in stops[-8:])
    )


def _in_document_order(stops: list[dict]) -> list[str]:
    return [
        f"focus goes from {_describe(before)} back to {_describe(after)}, earlier in the page"
        for before, after in itertools.pairwise(stops)
        if after["position"] <= before["position"]
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_registration_with_the_keyboard_only(demo_site, visit, locale):
    from cml_earth.auth.models import Member as MemberRow

    visitor = visit(demo_site, locale)
    page = visitor.page
    visitor.go("/auth/register")
    form = "main form[action$='/auth/register']"
    expected = page.evaluate(FORM_STOPS, form)
    problems: list[str] = []

    # The first stop is the skip link, shown when focused; it takes focus into the main content.
    skip = _tab(page, problems)
    assert skip["classes"] == "skip-link" and skip["text"] == visitor.t("Skip to main content")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    username = f"Keys{locale.title()}"
    typed = {
        "username": username,
        "email": f"{username.lower()}@example.org",
        "password": "a quiet walk by the sea",
        "password_confirm": "a quiet walk by the sea",
    }
    country = {"en": "Sweden", "sv": "Sverige"}[locale]  # as the list names it
    stops: list[dict] = []
    while True:
        stop = _tab(page, problems)
        stops.append(stop)
        name = stop["name"]
        if name in typed:
            page.keyboard.type(typed[name])
        elif name == "role":
            page.keyboard.press("Space")  # the first choice: a person living with CML
        elif name == "country_code":
            page.keyboard.type(country[:4])  # a closed select picks by the letters typed
        elif name in ("age_confirmed", "accept_guidelines"):
            page.keyboard.press("Space")
        if stop["tag"] == "button" and stop["inForm"]:
            break
        assert len(stops) < MAX_TABS, "focus never reached the submit button"
    in_form = [_stop_name(stop) for stop in stops if stop["inForm"]]
    assert in_form == expected, f"focus order {in_form}, the form's order {expected}"
    assert page.locator("[name='country_code']").input_value() == "SE"
    assert page.locator("[name='role']:checked").get_attribute("value") == "patient"
    assert page.locator("[name='health_consent']").is_checked() is False

    # Tabbing on leaves the form and reaches the footer: no trap.
    _tab_until(page, problems, lambda stop: stop["inFooter"], stops)
    problems += _in_document_order(stops)
    # Back to the button with Shift+Tab, and Enter sends the form.
    back: list[dict] = []
    _tab_until(page, problems, lambda s: s["tag"] == "button" and s["inForm"], back, shift=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/register/check-inbox")
    assert not problems, "\n".join(problems)
    joined = demo_site.scalar(select(MemberRow).where(MemberRow.username == username))
    assert joined is not None and joined.age_confirmed_at is not None
    assert joined.country_code == "SE" and joined.role == "patient"


def _hug_count(site, story_id: int, sender_id: int) -> int:
    from sqlalchemy import func

    from cml_earth.reactions.models import Reaction

    return site.scalar(
        select(func.count())
        .select_from(Reaction)
        .where(
            Reaction.sender_id == sender_id,
            Reaction.story_id == story_id,
            Reaction.kind == "hug",
        )
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_sending_a_hug_with_the_keyboard_only(demo_site, visit, examples, locale):
    member = demo_site.make_member(f"KeyHug{locale}", locale=locale)
    visitor = visit(demo_site, locale)
    visitor.log_in(member)
    story = examples["story"]
    visitor.go(f"/stories/{story}")
    page = visitor.page
    hug_button = "article.story-page form[data-reaction] button.reaction-hug"
    problems: list[str] = []
    stops: list[dict] = []

    # From the top of the page through the header to the story's hug button.
    target = _tab_until(page, problems, lambda stop: "reaction-hug" in stop["classes"], stops)
    assert target["text"] == visitor.t("Send a hug")
    assert page.evaluate(f"document.activeElement === document.querySelector({hug_button!r})")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{hug_button}[aria-pressed='true']")
    assert _hug_count(demo_site, story, member.id) == 1
    # Space takes it back, Enter sends it again; focus stays on the button all along.
    page.keyboard.press("Space")
    page.wait_for_selector(f"{hug_button}[aria-pressed='false']")
    assert _hug_count(demo_site, story, member.id) == 0
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{hug_button}[aria-pressed='true']")
    assert _hug_count(demo_site, story, member.id) == 1
    assert page.evaluate(f"document.activeElement === document.querySelector({hug_button!r})")

    # On to the footer: no trap in the reactions or the words of support.
    _tab_until(page, problems, lambda stop: stop["inFooter"], stops)
    problems += _in_document_order(stops)
    assert not problems, "\n".join(problems)


# --- 200% text -----------------------------------------------------------------------------------

#: Elements that stick out of the viewport, or whose text is cut off by their own box.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.visually-hidden, .skip-link, svg, script, style')) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const label = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
    if (rect.right > width + 1 || rect.left < -1) {
      problems.push(`${label} spans ${Math.round(rect.left)}..${Math.round(rect.right)} px`);
    }
    const style = getComputedStyle(el);
    const clips = v => v === 'hidden' || v === 'clip';
    if ((clips(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
        || (clips(style.overflowY) && el.scrollHeight > el.clientHeight + 1)) {
      problems.push(`${label} cuts its content off`);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width + 2) problems.unshift(`the page scrolls sideways: ${scroll} > ${width} px`);
  return problems.slice(0, 10);
}"""


def _zoomed(visit, site, locale):
    visitor = visit(site, locale, bypass_csp=True, viewport=VIEWPORT)
    # The reader's browser set to twice the default text size, on every page the visitor opens.
    visitor.page.context.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {"
        " const style = document.createElement('style');"
        f" style.textContent = {ZOOM_CSS!r};"
        " document.head.append(style); });"
    )
    return visitor


def _check_layout(visitor, where: str, problems: list[str]) -> None:
    page = visitor.page
    page.wait_for_load_state()
    font_size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert font_size == "32px", f"{where}: the text is not at 200% ({font_size})"
    problems += [f"{where}: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS)]


def _usable(locator, where: str, problems: list[str]) -> None:
    """Visible, inside the viewport's width once scrolled to, and not covered by anything."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    if box is None or box["width"] == 0:
        problems.append(f"{where}: {locator} is not shown")
        return
    if box["x"] < 0 or box["x"] + box["width"] > VIEWPORT["width"] + 1:
        problems.append(f"{where}: {locator} sticks out ({box})")
    covered = locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
                   const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                   return !(hit && (hit === el || el.contains(hit) || hit.control === el)); }"""
    )
    if covered:
        problems.append(f"{where}: {locator} is covered by another element")


@pytest.mark.parametrize("locale", LOCALES)
def test_registration_at_200_percent_text(demo_site, visit, locale):
    from cml_earth.auth.models import Member as MemberRow

    visitor = _zoomed(visit, demo_site, locale)
    page = visitor.page
    problems: list[str] = []
    visitor.go("/auth/register")
    _check_layout(visitor, "/auth/register", problems)
    username = f"BigText{locale.title()}"
    for name, value in (
        ("username", username),
        ("email", f"{username.lower()}@example.org"),
        ("password", "a quiet walk by the sea"),
        ("password_confirm", "a quiet walk by the sea"),
    ):
        _usable(visitor.field(name), name, problems)
        visitor.field(name).fill(value)
    relative = page.locator("[name='role'][value='relative']")
    _usable(relative, "role", problems)
    relative.click()
    _usable(visitor.field("country_code"), "country", problems)
    visitor.field("country_code").select_option("SE")
    _usable(page.locator("main [name='locale']"), "locale", problems)
    for name in ("age_confirmed", "accept_guidelines"):
        _usable(visitor.field(name), name, problems)
        page.locator(f"label[for='{name}']").click()  # the label is part of the target
    submit = visitor.button("Create my account")
    _usable(submit, "submit", problems)
    submit.click()
    page.wait_for_url("**/auth/register/check-inbox")
    _check_layout(visitor, "/auth/register/check-inbox", problems)
    assert not problems, "\n".join(problems)
    joined = demo_site.scalar(select(MemberRow).where(MemberRow.username == username))
    assert joined is not None and joined.role == "relative" and joined.age_confirmed_at


@pytest.mark.parametrize("locale", LOCALES)
def test_sending_a_hug_at_200_percent_text(demo_site, visit, examples, locale):
    member = demo_site.make_member(f"BigHug{locale}", locale=locale)
    visitor = _zoomed(visit, demo_site, locale)
    problems: list[str] = []
    visitor.log_in(member)
    _check_layout(visitor, "the feed", problems)
    story = examples["story"]
    visitor.go(f"/stories/{story}")
    _check_layout(visitor, "the story", problems)
    hug = visitor.page.locator("article.story-page button.reaction-hug")
    _usable(hug, "hug button", problems)
    hug.click()
    visitor.page.wait_for_selector("article.story-page button.reaction-hug[aria-pressed='true']")
    assert _hug_count(demo_site, story, member.id) == 1
    # The logged-in header (the longest) keeps every link reachable.
    for link in visitor.page.locator("header a, header button").all():
        _usable(link, "header", problems)
    assert not problems, "\n".join(problems)
