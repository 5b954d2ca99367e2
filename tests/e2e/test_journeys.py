"""Whole journeys in a real browser, each in English and in Swedish (issue 7).

Every control is found by its translated text or its form field's name, and every step checks
the confirmation the site gives in the member's language. The site is shared by the process, so
each test makes members with names of its own.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from cml_earth.extensions import db
from cml_earth.groups.models import Group
from cml_earth.i18n import country_name, language_label

from .conftest import _site
from .site import LOCALES, PASSWORD, Member, link_in

pytestmark = pytest.mark.parametrize("locale", LOCALES)


@pytest.fixture
def site_without_swedish_group(site, tmp_path_factory):
    """The shared site while Sweden has no national group; once a run founded it, a new site.

    A country has one national group, so the second locale's run would otherwise find it.
    """
    founded = site.scalar(
        db.select(Group.id).where(Group.country_code == "SE", Group.kind == "national")
    )
    if founded is None:
        yield site
        return
    with _site(tmp_path_factory, "e2e-groups") as fresh:
        yield fresh


def _unread_link(visitor, count: int):
    """The header's notifications link, which names how many are unread."""
    name = visitor.n("Notifications, %(num)d unread", "Notifications, %(num)d unread", count)
    return visitor.page.get_by_role("link", name=name, exact=True)


def _staff_link(visitor, message: str):
    """A header link of staff, whose name may go on with a count of waiting items."""
    return visitor.page.get_by_role("link", name=re.compile("^" + re.escape(visitor.t(message))))


def _png(path, colour=(200, 60, 40)):
    Image.new("RGB", (300, 200), colour).save(path, "PNG")
    return path


# --- 1. a newcomer joins ----------------------------------------------------------------------


def test_a_newcomer_registers_verifies_logs_in_and_fills_in_the_profile(
    site, visit, locale, tmp_path
):
    name = f"Newcomer{locale.upper()}"
    address = f"{name.lower()}@example.org"
    visitor = visit(site, locale)
    page = visitor.page
    visitor.go("/")
    visitor.link("Join").click()
    expect(page.get_by_role("heading", name=visitor.t("Join CML Earth"))).to_be_visible()
    visitor.field("username").fill(name)
    visitor.field("email").fill(address)
    visitor.field("password").fill(PASSWORD)
    visitor.field("password_confirm").fill(PASSWORD)
    page.get_by_label(visitor.t("A person living with CML")).check()
    visitor.field("country_code").select_option("SE")
    expect(page.locator("main [name='locale']")).to_have_value(
        locale
    )  # the browser's language, preset
    page.get_by_label(visitor.t("I am 16 years or older.")).check()
    page.get_by_label(visitor.t("I have read and accept the community guidelines.")).check()
    consent = page.get_by_label(visitor.t("I consent to CML Earth processing my health data."))
    expect(consent).not_to_be_checked()  # explicit consent: never ticked for the member
    consent.check()
    visitor.button("Create my account").click()
    page.wait_for_url("**/auth/register/check-inbox")

    mail = site.mail.wait_for(address)
    assert mail["Subject"] == visitor.t("Please confirm your email address")
    link = link_in(mail, "/auth/verify/")
    page.goto(link)
    expect(
        page.get_by_text(
            visitor.t("Press the button to confirm the address for %(name)s.", name=name)
        )
    ).to_be_visible()
    visitor.button("Confirm my address").click()
    page.wait_for_url("**/auth/login")
    expect(visitor.flashes).to_contain_text(
        visitor.t("Thank you, %(name)s. Your email address is confirmed.", name=name)
    )
    visitor.log_in(Member(0, name, address, PASSWORD, "patient"))
    expect(page.get_by_text(visitor.t("Welcome back, %(name)s.", name=name))).to_be_visible()

    visitor.link("Settings").click()
    expect(page.get_by_role("heading", name=visitor.t("Your profile"))).to_be_visible()
    story = f"Diagnosed in the spring ({locale}). Walking helps; so does this community."
    visitor.field("story").fill(story)
    visitor.field("languages").select_option(["sv", "en"])
    visitor.field("diagnosis_year").fill("2019")
    visitor.field("diagnosis_phase").select_option("chronic")
    visitor.field("treatment").select_option("imatinib")
    visitor.button("Save my profile").click()
    expect(visitor.flashes).to_contain_text(visitor.t("Your profile is saved."))
    page.wait_for_url(f"**/members/{name}")

    visitor.link("Settings").click()
    page.get_by_role("navigation", name=visitor.t("Settings")).get_by_role(
        "link", name=visitor.t("Picture"), exact=True
    ).click()
    visitor.field("avatar").set_input_files(_png(tmp_path / "me.png"))
    visitor.button("Upload this picture").click()
    expect(visitor.flashes).to_contain_text(visitor.t("Your new picture is saved."))

    visitor.link("My profile").click()
    page.wait_for_url(f"**/members/{name}")
    profile = page.locator("article.profile")
    expect(profile.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(profile).to_contain_text(visitor.t("Living with CML"))
    expect(profile).to_contain_text(country_name("SE", locale))
    expect(profile).to_contain_text(story)
    expect(profile).to_contain_text(language_label("sv", locale))
    health = page.locator("section.health")
    expect(health).to_contain_text("2019")
    expect(health).to_contain_text(visitor.t("Chronic phase"))
    expect(health).to_contain_text("imatinib (Glivec, Gleevec, Imkeldi)")
    picture = profile.locator("img.avatar").first
    source = picture.get_attribute("src")
    assert source.startswith(f"/members/{name}/avatar"), source
    answer = page.request.get(site.url + source)
    assert answer.ok and answer.headers["content-type"] == "image/webp"
    webp = Image.open(io.BytesIO(answer.body()))
    assert webp.size == (256, 256)
    assert webp.convert("RGB").getpixel((128, 128)) == pytest.approx((200, 60, 40), abs=8)


# --- 2. support for a story -------------------------------------------------------------------


def test_a_relative_finds_a_story_and_sends_support_the_patient_is_notified(site, visit, locale):
    patient = site.make_member(f"StoryPatient{locale.upper()}", locale=locale)
    relative = site.make_member(f"StoryRelative{locale.upper()}", role="relative", locale=locale)
    title = f"My first year on treatment ({locale})"

    author = visit(site, locale)
    author.log_in(patient)
    author.link("Write a story").click()
    author.field("title").fill(title)
    author.field("body").fill("Tired at first, then better month by month.")
    author.button("Publish my story").click()
    expect(author.flashes).to_contain_text(author.t("Your story is published."))
    expect(author.page.get_by_role("heading", name=title)).to_be_visible()

    friend = visit(site, locale)
    friend.log_in(relative)
    friend.link("Members").click()
    friend.field("q").fill(patient.username)
    friend.field("q").press("Enter")
    friend.page.get_by_role("link", name=patient.username, exact=True).click()
    friend.page.wait_for_url(f"**/members/{patient.username}")
    friend.page.get_by_role("link", name=title).click()
    story = friend.page.locator("article.story-page")
    expect(story.get_by_role("heading", name=title)).to_be_visible()
    for message, kind, count in (
        ("Send a hug", ("%(num)d hug", "%(num)d hugs"), 1),
        ("Send a high-five", ("%(num)d high-five", "%(num)d high-fives"), 1),
    ):
        button = story.get_by_role("button", name=friend.t(message), exact=True)
        expect(button).to_have_attribute("aria-pressed", "false")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")  # updated in place
        count_link = button.locator("xpath=following-sibling::a[@data-reaction-count]")
        expect(count_link).to_have_text(friend.n(*kind, count))
    friend.field("body").fill("Thinking of you. My sister felt the same in her first year.")
    friend.button("Send my words of support").click()
    expect(friend.flashes).to_contain_text(friend.t("Thank you for your words of support."))
    expect(friend.page.locator(".comment-list")).to_contain_text("Thinking of you.")

    author.log_out()
    author.log_in(patient)
    _unread_link(author, 3).click()
    notifications = author.page.locator("ul.notifications")
    name = relative.username
    for message in (
        "%(name)s sent a hug for your story “%(title)s”",
        "%(name)s high-fived your story “%(title)s”",
        "%(name)s wrote a word of support on your story “%(title)s”",
    ):
        expect(notifications).to_contain_text(author.t(message, name=name, title=title))
    expect(notifications.locator(".notification-unread")).to_have_count(3)


# --- 3. a national group is founded and found on the map --------------------------------------


def test_a_member_proposes_the_swedish_group_staff_approve_another_joins_from_the_map(
    site_without_swedish_group, visit, locale
):
    site = site_without_swedish_group
    founder = site.make_member(f"Founder{locale.upper()}", locale=locale)
    staff = site.make_member(f"GroupStaff{locale.upper()}", role="sponsor", locale=locale)
    joiner = site.make_member(f"Joiner{locale.upper()}", locale=locale)
    sweden = country_name("SE", locale)

    member = visit(site, locale)
    member.log_in(founder)
    member.link("Groups").click()
    member.field("q").fill("Sverige")
    member.button("Search groups").click()
    expect(
        member.page.get_by_role("heading", name=member.t("Groups in %(country)s", country=sweden))
    ).to_be_visible()
    expect(member.page.locator(".notice")).to_contain_text(
        member.t(
            "There is no national group for %(country)s yet. You can start it: sponsor staff "
            "approve new groups, and you become its first moderator.",
            country=sweden,
        )
    )
    member.link("Start the national group for %(country)s", country=sweden).click()
    name = f"CML {sweden}"
    expect(member.field("name")).to_have_value(name)
    expect(member.page.get_by_label(member.t("National group"))).to_be_checked()
    member.field("description").fill("For everyone in Sweden living with CML, and their families.")
    member.button("Send the proposal").click()
    expect(member.flashes).to_contain_text(
        member.t(
            "Thank you. Your proposal is with sponsor staff, who usually answer within two "
            "working days. We will tell you when it is approved."
        )
    )
    expect(member.page.get_by_role("heading", name=name)).to_be_visible()

    moderator = visit(site, locale)
    moderator.log_in(staff)
    _staff_link(moderator, "Moderation").click()
    row = moderator.page.locator("table.queue tr").filter(has_text=name)
    expect(row).to_contain_text(moderator.t("Group proposal"))
    expect(row).to_contain_text(moderator.t("Groups"))  # the kind of item, in words
    row.get_by_role("link").first.click()  # "Item 1"
    moderator.page.get_by_label(moderator.t("Approve and open the group")).check()
    moderator.button("Confirm the decision").click()
    expect(moderator.flashes).to_contain_text(
        moderator.t("Done: %(action)s.", action=moderator.t("Approve and open the group"))
    )
    expect(moderator.page.locator("table.queue tr").filter(has_text=name)).to_have_count(0)

    other = visit(site, locale)
    other.log_in(joiner)
    other.link("Groups").click()
    other.link("World map").click()
    other.page.locator("svg.world-map a[href$='/groups/country/SE']").click()
    other.page.wait_for_url("**/groups/country/SE")
    expect(
        other.page.get_by_role("heading", name=other.t("Groups in %(country)s", country=sweden))
    ).to_be_visible()
    other.page.get_by_role("link", name=name, exact=True).click()
    expect(other.page.get_by_text(other.n("%(num)s member", "%(num)s members", 1))).to_be_visible()
    other.button("Join the group").click()
    expect(other.flashes).to_contain_text(other.t("Welcome to “%(name)s”.", name=name))
    expect(other.page.get_by_text(other.t("You are a member of this group."))).to_be_visible()
    expect(other.page.locator("article.group header")).to_contain_text(
        other.n("%(num)s member", "%(num)s members", 2)
    )

    member.page.reload()  # the founder comes back to the page of the proposal
    expect(member.page.get_by_text(member.t("You are a moderator of this group."))).to_be_visible()
    _unread_link(member, 1).click()
    expect(member.page.locator("ul.notifications")).to_contain_text(
        member.t(
            "Your group “%(title)s” is approved and open. You are its first moderator.",
            title=name,
        )
    )


# --- 4. a report, a hidden story, a statement of reasons and an appeal ------------------------


def test_a_reported_story_is_hidden_and_its_author_appeals(site, visit, locale):
    author = site.make_member(f"Hidden{locale.upper()}", locale=locale)
    reporter = site.make_member(f"Reporter{locale.upper()}", locale=locale)
    staff = site.make_member(f"ModStaff{locale.upper()}", role="sponsor", locale=locale)
    title = f"Buy my miracle cure ({locale})"
    site.make_story(author, title, "Write to me for a special offer on a miracle cure.", locale)

    member = visit(site, locale)
    member.log_in(reporter)
    member.page.get_by_role("link", name=title, exact=True).click()  # from the feed
    member.link("Report this story").click()
    member.page.get_by_label(member.t("Spam or advertising")).check()
    member.field("details").fill("An advert.")
    member.button("Send the report").click()
    expect(member.flashes).to_contain_text(
        member.t("Thank you. Staff will look at it; the author will not learn who reported.")
    )

    moderator = visit(site, locale)
    moderator.log_in(staff)
    _staff_link(moderator, "Moderation").click()
    row = moderator.page.locator("table.queue tr").filter(has_text=title)
    expect(row).to_contain_text(
        moderator.t("Reported: %(reason)s", reason=moderator.t("Spam or advertising"))
    )
    expect(row).to_contain_text(moderator.t("Stories"))
    row.get_by_role("link").first.click()
    moderator.page.get_by_label(moderator.t("Hide it"), exact=True).check()
    expect(moderator.field("ground")).to_have_value("spam")  # the reported reason, preset
    reasons = "Selling a cure is advertising, which the community guidelines do not allow."
    moderator.field("explanation").fill(reasons)
    moderator.button("Confirm the decision").click()
    expect(moderator.flashes).to_contain_text(
        moderator.t("Done: %(action)s.", action=moderator.t("Hide it"))
    )

    writer = visit(site, locale)
    writer.log_in(author)
    _unread_link(writer, 1).click()
    notice = writer.page.locator("li.notification").filter(
        has_text=writer.t("Moderators took a decision about your content or account. Read why.")
    )
    notice.get_by_role("link", name=writer.t("Read the statement")).click()
    expect(
        writer.page.get_by_role("heading", name=writer.t("Statement of reasons"))
    ).to_be_visible()
    main = writer.page.locator("main")
    expect(main).to_contain_text(
        writer.t("Your content is hidden: only you and sponsor staff can see it.")
    )
    expect(main).to_contain_text(
        writer.t(
            "Ground: our community guidelines on “%(ground)s”.",
            ground=writer.t("Spam or advertising"),
        )
    )
    expect(main).to_contain_text(reasons)
    writer.field("text").fill("It was a joke among friends; I will take the offer out.")
    writer.button("Send my appeal").click()
    expect(writer.flashes).to_contain_text(
        writer.t("Your appeal is sent. Staff will look at the decision again.")
    )
    expect(writer.button("Send my appeal")).to_have_count(0)  # once only

    _staff_link(moderator, "Moderation").click()
    appeal = moderator.page.locator("table.queue tr").filter(has_text=moderator.t("Appeal"))
    expect(appeal.filter(has_text=author.username)).to_have_count(1)


# --- 5. download my data, then delete my account ----------------------------------------------


def test_a_member_downloads_their_data_then_deletes_the_account(site, visit, locale, tmp_path):
    leaver = site.make_member(f"Leaver{locale.upper()}", locale=locale)
    visitor = visit(site, locale)
    page = visitor.page
    visitor.log_in(leaver)
    visitor.link("Settings").click()
    settings = page.get_by_role("navigation", name=visitor.t("Settings"))
    settings.get_by_role("link", name=visitor.t("Download my data"), exact=True).click()
    with page.expect_download() as download:
        visitor.button("Download my data").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith(f"cml-earth-{leaver.username}-") and saved.suffix == ".zip"
    with zipfile.ZipFile(saved) as archive:
        data = json.loads(archive.read("data.json"))
        readable = archive.read("index.html").decode()
    assert leaver.username in json.dumps(data) and leaver.email in json.dumps(data)
    assert f'<html lang="{locale}"' in readable
    assert visitor.t("Your data on %(site)s", site="CML Earth") in readable

    settings.get_by_role("link", name=visitor.t("Delete my account"), exact=True).click()
    visitor.field("password").fill(leaver.password)
    page.get_by_label(
        visitor.t(
            "I understand that my account and my data will be deleted, and that this cannot be "
            "undone."
        )
    ).check()
    visitor.button("Delete my account and my data").click()
    expect(visitor.flashes).to_contain_text(
        visitor.t("Your account and your data are deleted. Thank you for being here.")
    )
    header = page.get_by_role("navigation", name=visitor.t("Main"))
    expect(header.get_by_role("link", name=visitor.t("Log in"), exact=True)).to_be_visible()
    last_mail = site.mail.wait_for(leaver.email)
    assert last_mail["Subject"] == visitor.t("Your CML Earth account is deleted")

    header.get_by_role("link", name=visitor.t("Log in"), exact=True).click()
    visitor.field("login").fill(leaver.username)
    visitor.field("password").fill(leaver.password)
    page.locator("form:has([name='password']) [type='submit']").click()
    expect(page.locator("main")).to_contain_text(
        visitor.t("The email address, username or password is not right.")
    )
    assert "/auth/login" in page.url


# --- 6. without JavaScript --------------------------------------------------------------------


def test_a_hug_and_joining_a_group_work_without_javascript(site, visit, locale):
    patient = site.make_member(f"NoScriptAuthor{locale.upper()}", locale=locale)
    reader = site.make_member(f"NoScriptReader{locale.upper()}", locale=locale)
    staff = site.make_member(f"NoScriptStaff{locale.upper()}", role="sponsor", locale=locale)
    title = f"Walking again ({locale})"
    site.make_story(patient, title, "Ten kilometres this weekend.", locale)
    group = f"Walkers with CML {locale.upper()}"
    site.make_group(patient, staff, group, "We walk, and talk about it.")

    visitor = visit(site, locale, javascript=False)
    page = visitor.page
    visitor.log_in(reader)
    page.get_by_role("link", name=title, exact=True).click()
    story = page.locator("article.story-page")
    hug = story.get_by_role("button", name=visitor.t("Send a hug"), exact=True)
    expect(hug).to_have_attribute("aria-pressed", "false")
    hug.click()
    expect(visitor.flashes).to_contain_text(visitor.t("You sent a hug."))  # a new page
    expect(hug).to_have_attribute("aria-pressed", "true")
    expect(story.locator("[data-reaction-count]").first).to_have_text(
        visitor.n("%(num)d hug", "%(num)d hugs", 1)
    )

    visitor.link("Groups").click()
    visitor.field("q").fill(group)
    visitor.button("Search groups").click()
    page.get_by_role("link", name=group, exact=True).click()
    visitor.button("Join the group").click()
    expect(visitor.flashes).to_contain_text(visitor.t("Welcome to “%(name)s”.", name=group))
    expect(page.get_by_text(visitor.t("You are a member of this group."))).to_be_visible()
    expect(page.locator("article.group header")).to_contain_text(
        visitor.n("%(num)s member", "%(num)s members", 2)
    )
