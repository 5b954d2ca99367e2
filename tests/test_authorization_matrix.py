"""Who may call each route of the app, against each state of the things it takes: all of them.

Every rule of ``app.url_map`` × method (HEAD, OPTIONS and ``static`` left out) has an entry in
MATRIX; a new route without one fails ``test_every_route_is_in_the_matrix``. Each route is
called as 7 personas, one test (and one fresh world) per persona: a visitor, a patient, a
relative, a member the owner blocked, the troll (an ordinary member who owns nothing), sponsor
staff and an admin (both through two-step sign-in). What a route takes belongs to someone else,
the owner, and comes in every state it can have:

- stories: public, members, "members of my groups", in a group-only group, private, hidden
  by moderation;
- words of support: on a members' story, on the private story, hidden by moderation;
- profiles: members, "members of my groups", private, hidden by moderation (one owner each);
- groups: public, members-only, group-only with join requests, a proposal not yet approved;
- reports: a story (members, private, hidden), a hidden comment, a private or hidden
  profile, a proposed group.

143 (method, rule) pairs; with the object states, 283 calls per persona, 1,981 per backend:
each is checked for its status (``L``: sent to log in) and for leaks: no response shows the
owner's private texts (MAY_READ), nor any member's email address but the persona's own. The
pages of a story, a profile and the search must show those texts to whoever may read them (so
the leak check looks at pages that do render them), and after all the calls nothing of the
owners' has changed (stories, words, profiles, blocks, the appeal, the queue item).

POSTs carry a valid CSRF token and a minimal body (``action=add``, which the reaction buttons
need and every other form refuses or ignores). They run after every GET, in MATRIX's order:
the ones that change what a persona may see afterwards (groups joined, members blocked, the
logout) come last, and their entries say what they found by then.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.moderation import services as moderation_services
from cml_earth.moderation import targets
from cml_earth.moderation.models import Decision, ModerationItem
from cml_earth.notifications.models import Notification
from cml_earth.profiles.models import Profile
from cml_earth.safety import services as safety_services
from cml_earth.safety.detection import detect_adverse_event
from cml_earth.social import services as social_services
from cml_earth.social.models import Block
from cml_earth.stories.models import Comment, Story

from .conftest import Auth, csrf_token

PERSONAS = ("anonymous", "patient", "relative", "blocked", "troll", "sponsor", "admin")
MEMBERS = PERSONAS[1:]
STAFF = ("sponsor", "admin")

OWNER = "OwnerOlga"  # a patient; owns every story, word of support and group below
# One owner per profile state (a member has one profile). Every owner blocks "blocked".
PROFILE_OWNERS = {
    "members": OWNER,
    "groups": "GroupsGun",  # "members of my groups": shares the group-only group with relative
    "private": "PrivatePer",
    "hidden": "HiddenHugo",
}
STORY_STATES = ("public", "members", "groups", "group", "private", "hidden")
COMMENT_STATES = ("members", "private", "hidden")
PROFILE_STATES = tuple(PROFILE_OWNERS)
GROUP_STATES = ("public", "members", "private", "proposed")
REPORT_STATES = (
    "story:members", "story:private", "story:hidden", "comment:hidden",
    "profile:private", "profile:hidden", "group:proposed",
)  # fmt: skip

# (method, rule) → what each persona gets, in the order of PERSONAS:
#   anonymous patient relative blocked troll sponsor admin
# One string when every state of the object gives the same, else one per state. "L" is a
# redirect to the login page; 302 a redirect anywhere else (a done action, or a page that
# does not apply to the persona). Who is in which audience: the relative belongs to the
# group-only group (with GroupsGun and the owner) and so shares a group with them; the
# patient has a pending request to join it; staff belong to no group.
MATRIX: dict[tuple[str, str], str | dict[str, str]] = {
    ("GET", "/"): "200 200 200 200 200 200 200",
    ("GET", "/about/<page>"): "200 200 200 200 200 200 200",
    ("GET", "/healthz"): "200 200 200 200 200 200 200",
    ("GET", "/readyz"): "200 200 200 200 200 200 200",
    ("GET", "/help/about"): "200 200 200 200 200 200 200",
    ("GET", "/help/crisis"): "200 200 200 200 200 200 200",
    ("GET", "/help/side-effects"): "200 200 200 200 200 200 200",
    # Signed-in people are sent on from the forms that sign in or up.
    ("GET", "/auth/login"): "200 302 302 302 302 302 302",
    ("GET", "/auth/register"): "200 302 302 302 302 302 302",
    ("GET", "/auth/register/check-inbox"): "200 200 200 200 200 200 200",
    ("GET", "/auth/reset"): "200 200 200 200 200 200 200",
    ("GET", "/auth/reset/<token>"): "400 400 400 400 400 400 400",  # not a real token
    # No sign-in waiting for its code step: back to the login (visitors) or on (members).
    ("GET", "/auth/two-factor"): "  L 302 302 302 302 302 302",
    ("GET", "/auth/two-factor/setup"): "  L 302 302 302 302 302 302",
    ("GET", "/auth/verify"): "  L 302 302 302 302 302 302",  # everyone here is verified
    ("GET", "/auth/verify/<token>"): "400 400 400 400 400 400 400",
    ("GET", "/feed"): "  L 200 200 200 200 200 200",
    ("GET", "/search"): "200 200 200 200 200 200 200",  # ?q=lighthouse: every story has it
    ("GET", "/stories/new"): "  L 200 200 200 200 200 200",
    # A story the persona may not see is a 404; visitors are asked to log in first when
    # logging in could help (anything but "only me").
    ("GET", "/stories/<int:story_id>"): {
        "public": "200 200 200 404 200 200 200",
        "members": "  L 200 200 404 200 200 200",
        "groups": "  L 404 200 404 404 404 404",
        "group": "  L 404 200 404 404 200 200",
        "private": "404 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 200 200",  # staff see it, marked as hidden
    },
    # Only the author edits or deletes: 403 where the story is visible, 404 where it is not.
    ("GET", "/stories/<int:story_id>/edit"): {
        "public": "  L 403 403 404 403 403 403",
        "members": "  L 403 403 404 403 403 403",
        "groups": "  L 404 403 404 404 404 404",
        "group": "  L 404 403 404 404 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("GET", "/stories/<int:story_id>/delete"): {
        "public": "  L 403 403 404 403 403 403",
        "members": "  L 403 403 404 403 403 403",
        "groups": "  L 404 403 404 404 404 404",
        "group": "  L 404 403 404 404 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    # Who sent hugs: the story's audience; visitors get a plain 404, not the login page.
    ("GET", "/stories/<int:story_id>/reactions"): {
        "public": "200 200 200 404 200 200 200",
        "members": "404 200 200 404 200 200 200",
        "groups": "404 404 200 404 404 404 404",
        "group": "404 404 200 404 404 200 200",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    ("GET", "/comments/<int:comment_id>/edit"): {
        "members": "  L 403 403 404 403 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("GET", "/comments/<int:comment_id>/reactions"): {
        "members": "404 200 200 404 200 200 200",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    ("GET", "/members/"): "200 200 200 200 200 200 200",
    # A profile the persona may not see does not exist for them; staff see hidden ones.
    ("GET", "/members/<username>"): {
        "members": "  L 200 200 404 200 200 200",
        "groups": "  L 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 200 200",
    },
    ("GET", "/members/<username>/avatar/<int:size>"): {
        "members": "404 200 200 404 200 200 200",
        "groups": "404 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    ("GET", "/members/<username>/stories"): {
        "members": "  L 200 200 404 200 200 200",
        "groups": "  L 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 200 200",
    },
    ("GET", "/members/<username>/reactions"): {
        "members": "404 200 200 404 200 200 200",
        "groups": "404 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    ("GET", "/members/<username>/followers"): {
        "members": "404 200 200 404 200 200 200",
        "groups": "404 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    ("GET", "/members/<username>/following"): {
        "members": "404 200 200 404 200 200 200",
        "groups": "404 404 200 404 404 404 404",
        "private": "404 404 404 404 404 404 404",
        "hidden": "404 404 404 404 404 200 200",
    },
    # By handle only, whatever the profile: a handle is public wherever its member wrote, and
    # a blocked member may block back without learning anything (tests/test_blocks.py). Staff
    # block nobody.
    ("GET", "/members/<username>/block"): "  L 200 200 200 200 404 404",
    ("GET", "/groups/"): "200 200 200 200 200 200 200",  # ?q=matrix: the owner's groups
    ("GET", "/groups/countries"): "200 200 200 200 200 200 200",
    ("GET", "/groups/country/<code>"): "200 200 200 200 200 200 200",
    ("GET", "/groups/map"): "200 200 200 200 200 200 200",
    ("GET", "/groups/map.svg"): "200 200 200 200 200 200 200",
    ("GET", "/groups/near"): "200 200 200 200 200 200 200",
    ("GET", "/groups/new"): "  L 200 200 200 200 302 302",  # staff approve, never found
    ("GET", "/groups/proposals"): "  L 403 403 403 403 200 200",
    # A group's about page is public; a proposal only for its founder and staff.
    ("GET", "/groups/<slug>"): {
        "public": "200 200 200 200 200 200 200",
        "members": "200 200 200 200 200 200 200",
        "private": "200 200 200 200 200 200 200",
        "proposed": "404 404 404 404 404 200 200",
    },
    # Its member list follows who may read the group (a pending request is not enough).
    ("GET", "/groups/<slug>/members"): {
        "public": "200 200 200 200 200 200 200",
        "members": "  L 200 200 200 200 200 200",
        "private": "  L 404 200 404 404 200 200",
        "proposed": "404 404 404 404 404 200 200",
    },
    ("GET", "/groups/<slug>/edit"): {
        "public": "  L 403 403 403 403 200 200",
        "members": "  L 403 403 403 403 200 200",
        "private": "  L 403 403 403 403 200 200",
        "proposed": "  L 404 404 404 404 200 200",
    },
    ("GET", "/report/notice"): "200 200 200 200 200 200 200",
    ("GET", "/report/notice/<reference>"): "404 404 404 404 404 404 404",  # not their receipt
    # Members report what they can see (nothing here is theirs).
    ("GET", "/report/<target_type>/<int:target_id>"): {
        "story:members": "  L 200 200 404 200 200 200",
        "story:private": "  L 404 404 404 404 404 404",
        "story:hidden": "  L 404 404 404 404 200 200",
        "comment:hidden": "  L 404 404 404 404 200 200",
        "profile:private": "  L 404 404 404 404 404 404",
        "profile:hidden": "  L 404 404 404 404 200 200",
        "group:proposed": "  L 404 404 404 404 200 200",
    },
    ("GET", "/moderation/"): "  L 403 403 403 403 200 200",
    ("GET", "/moderation/items/<int:item_id>"): "  L 403 403 403 403 200 200",
    ("GET", "/moderation/log"): "  L 403 403 403 403 403 200",
    ("GET", "/moderation/log.csv"): "  L 403 403 403 403 403 200",
    ("GET", "/moderation/decisions"): "  L 200 200 200 200 200 200",  # each their own
    ("GET", "/moderation/decisions/<int:decision_id>"): "  L 404 404 404 404 200 200",
    ("GET", "/moderation/members/<username>"): "  L 403 403 403 403 200 200",
    # The safety team: admins, and sponsor staff given safety access (this sponsor is not).
    ("GET", "/safety/"): "  L 403 403 403 403 403 200",
    ("GET", "/safety/cases/<int:case_id>"): "  L 403 403 403 403 403 200",
    ("GET", "/safety/export.csv"): "  L 403 403 403 403 403 200",
    ("GET", "/safety/export.xml"): "  L 403 403 403 403 403 200",
    ("GET", "/safety/consent/<int:case_id>"): "  L 404 404 404 404 404 404",  # the owner's
    ("GET", "/notifications"): "  L 200 200 200 200 200 200",
    ("GET", "/notifications/unsubscribe/<token>"): "400 400 400 400 400 400 400",
    ("GET", "/settings/"): "  L 302 302 302 302 302 302",
    ("GET", "/settings/profile"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/privacy"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/avatar"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/blocked"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/preferences"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/devices"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/notifications"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/email"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/email/confirm/<token>"): "  L 400 400 400 400 400 400",
    ("GET", "/settings/password"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/two-factor"): "  L 200 200 200 200 200 200",
    # Staff have two-step sign-in already and may not turn it off; members have none yet.
    ("GET", "/settings/two-factor/enable"): "  L 200 200 200 200 302 302",
    ("GET", "/settings/two-factor/disable"): "  L 302 302 302 302 302 302",
    ("GET", "/settings/two-factor/recovery-codes"): "  L 302 302 302 302 200 200",
    ("GET", "/settings/health-consent"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/health-consent/withdraw"): "  L 302 302 302 302 302 302",  # none given
    ("GET", "/settings/export"): "  L 200 200 200 200 200 200",
    ("GET", "/settings/delete"): "  L 200 200 200 200 200 200",
    # --- POSTs (after every GET) ---
    ("POST", "/auth/login"): "422 302 302 302 302 302 302",
    ("POST", "/auth/register"): "422 302 302 302 302 302 302",
    ("POST", "/auth/reset"): "422 422 422 422 422 422 422",
    ("POST", "/auth/reset/<token>"): "400 400 400 400 400 400 400",
    ("POST", "/auth/two-factor"): "  L 302 302 302 302 302 302",
    ("POST", "/auth/two-factor/setup"): "  L 302 302 302 302 302 302",
    ("POST", "/auth/verify/<token>"): "400 400 400 400 400 400 400",
    ("POST", "/auth/verify/resend"): "  L 302 302 302 302 302 302",  # verified already
    ("POST", "/language"): "400 400 400 400 400 400 400",  # no language chosen
    ("POST", "/stories/new"): "  L 422 422 422 422 422 422",
    # An empty word of support: the form again (422) for whoever may answer the story.
    ("POST", "/stories/<int:story_id>/comments"): {
        "public": "  L 422 422 404 422 422 422",
        "members": "  L 422 422 404 422 422 422",
        "groups": "  L 404 422 404 404 404 404",
        "group": "  L 404 422 404 404 422 422",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 422 422",
    },
    ("POST", "/stories/<int:story_id>/edit"): {
        "public": "  L 403 403 404 403 403 403",
        "members": "  L 403 403 404 403 403 403",
        "groups": "  L 404 403 404 404 404 404",
        "group": "  L 404 403 404 404 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/stories/<int:story_id>/delete"): {
        "public": "  L 403 403 404 403 403 403",
        "members": "  L 403 403 404 403 403 403",
        "groups": "  L 404 403 404 404 404 404",
        "group": "  L 404 403 404 404 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    # A hug is sent (302) where the story is visible; staff send none (no endorsement: 403).
    ("POST", "/stories/<int:story_id>/reactions/<any(hug, high_five):kind>"): {
        "public": "  L 302 302 404 302 403 403",
        "members": "  L 302 302 404 302 403 403",
        "groups": "  L 404 302 404 404 404 404",
        "group": "  L 404 302 404 404 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/comments/<int:comment_id>/edit"): {
        "members": "  L 403 403 404 403 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/comments/<int:comment_id>/delete"): {
        "members": "  L 403 403 404 403 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/comments/<int:comment_id>/reactions/<any(hug, high_five):kind>"): {
        "members": "  L 302 302 404 302 403 403",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/members/<username>/reactions/<any(hug, high_five):kind>"): {
        "members": "  L 302 302 404 302 403 403",
        "groups": "  L 404 302 404 404 404 404",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 403 403",
    },
    ("POST", "/report/notice"): "422 422 422 422 422 422 422",  # every field missing
    ("POST", "/report/<target_type>/<int:target_id>"): {
        "story:members": "  L 422 422 404 422 422 422",
        "story:private": "  L 404 404 404 404 404 404",
        "story:hidden": "  L 404 404 404 404 422 422",
        "comment:hidden": "  L 404 404 404 404 422 422",
        "profile:private": "  L 404 404 404 404 404 404",
        "profile:hidden": "  L 404 404 404 404 422 422",
        "group:proposed": "  L 404 404 404 404 422 422",
    },
    ("POST", "/moderation/items/<int:item_id>"): "  L 403 403 403 403 422 422",
    # The owner's statement of reasons: others do not know it exists; staff never appeal.
    ("POST", "/moderation/decisions/<int:decision_id>/appeal"): "  L 404 404 404 404 403 403",
    ("POST", "/moderation/members/<username>/role"): "  L 403 403 403 403 403 422",
    # An empty assessment is a valid one (every field optional): the team saves it.
    ("POST", "/safety/cases/<int:case_id>"): "  L 403 403 403 403 403 302",
    ("POST", "/safety/cases/<int:case_id>/status"): "  L 403 403 403 403 403 422",
    ("POST", "/safety/cases/<int:case_id>/ask-consent"): "  L 403 403 403 403 403 409",  # asked
    # The hidden story's queue item: the team opens a case from it.
    ("POST", "/safety/from-item/<int:item_id>"): "  L 403 403 403 403 403 302",
    ("POST", "/safety/consent/<int:case_id>"): "  L 404 404 404 404 404 404",
    ("POST", "/notifications/<int:notification_id>/read"): "  L 404 404 404 404 404 404",
    ("POST", "/notifications/read-all"): "  L 302 302 302 302 302 302",
    ("POST", "/notifications/unsubscribe/<token>"): "400 400 400 400 400 400 400",
    # The persona's own settings. Empty forms: invalid (422), or nothing sent means nothing
    # changed and the page says saved (privacy, preferences keep their current choices).
    ("POST", "/settings/profile"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/privacy"): "  L 302 302 302 302 302 302",
    ("POST", "/settings/avatar"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/avatar/remove"): "  L 302 302 302 302 302 302",
    ("POST", "/settings/preferences"): "  L 302 302 302 302 302 302",
    ("POST", "/settings/notifications"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/email"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/email/confirm/<token>"): "  L 400 400 400 400 400 400",
    ("POST", "/settings/password"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/two-factor/enable"): "  L 422 422 422 422 302 302",
    ("POST", "/settings/two-factor/disable"): "  L 302 302 302 302 302 302",
    ("POST", "/settings/two-factor/recovery-codes"): "  L 302 302 302 302 422 422",
    ("POST", "/settings/health-consent"): "  L 422 422 422 422 422 422",
    ("POST", "/settings/health-consent/withdraw"): "  L 302 302 302 302 302 302",
    ("POST", "/settings/export"): "  L 200 200 200 200 200 200",  # the persona's own file
    ("POST", "/settings/delete"): "  L 422 422 422 422 422 422",  # no password: nothing goes
    # Staff may follow whoever they may see (hidden profiles included); members who they see.
    ("POST", "/members/<username>/follow"): {
        "members": "  L 302 302 404 302 302 302",
        "groups": "  L 404 302 404 404 404 404",
        "private": "  L 404 404 404 404 404 404",
        "hidden": "  L 404 404 404 404 302 302",
    },
    # By handle only (see the block page): undoing and muting need no view of the profile.
    ("POST", "/members/<username>/unfollow"): "  L 302 302 302 302 302 302",
    ("POST", "/members/<username>/mute"): "  L 302 302 302 302 302 302",
    ("POST", "/members/<username>/unmute"): "  L 302 302 302 302 302 302",
    ("POST", "/groups/new"): "  L 422 422 422 422 302 302",
    ("POST", "/groups/near/place"): "  L 302 302 302 302 302 302",  # "type a place first"
    # Group moderators and staff; the owner moderates all, so staff get the empty form back.
    ("POST", "/groups/<slug>/edit"): {
        "public": "  L 403 403 403 403 422 422",
        "members": "  L 403 403 403 403 422 422",
        "private": "  L 403 403 403 403 422 422",
        "proposed": "  L 404 404 404 404 422 422",
    },
    ("POST", "/groups/<slug>/refuse"): "  L 403 403 403 403 422 422",  # no note
    # The patient's request to the group-only group: staff accept it (elsewhere: not found,
    # a flash and back to the list).
    ("POST", "/groups/<slug>/requests/<int:membership_id>/<any(accept, refuse):answer>"): {
        "public": "  L 403 403 403 403 302 302",
        "members": "  L 403 403 403 403 302 302",
        "private": "  L 403 403 403 403 302 302",
        "proposed": "  L 404 404 404 404 302 302",
    },
    # Joining and leaving answer with a redirect and a flash, also when refused (staff join
    # nothing, a member asks once); a proposal does not exist for members.
    ("POST", "/groups/<slug>/join"): {
        "public": "  L 302 302 302 302 302 302",
        "members": "  L 302 302 302 302 302 302",
        "private": "  L 302 302 302 302 302 302",
        "proposed": "  L 404 404 404 404 302 302",
    },
    ("POST", "/groups/<slug>/leave"): {
        "public": "  L 302 302 302 302 302 302",
        "members": "  L 302 302 302 302 302 302",
        "private": "  L 302 302 302 302 302 302",
        "proposed": "  L 404 404 404 404 302 302",
    },
    # Staff buttons: approving an active group, or archiving an archived one, is refused
    # with a flash; the proposal is approved, then the open groups archived.
    ("POST", "/groups/<slug>/approve"): "  L 403 403 403 403 302 302",
    ("POST", "/groups/<slug>/archive"): "  L 403 403 403 403 302 302",
    ("POST", "/members/<username>/unblock"): "  L 302 302 302 302 302 302",
    ("POST", "/members/<username>/block"): "  L 302 302 302 302 404 404",
    ("POST", "/auth/logout"): "302 302 302 302 302 302 302",
}


def marker(name: str) -> str:
    return f"Zq{name.replace(':', '').replace('-', '').title()}Marker"


# Every text of the owners and who may read it, checked in every response body: a page that
# shows less is fine, a page that shows more is a leak. (SHOWN_ON checks that they do show.)
MAY_READ: dict[str, frozenset[str]] = {
    # Stories (the marker is in the title and the text).
    marker("story-public"): frozenset(PERSONAS) - {"blocked"},
    marker("story-members"): frozenset(MEMBERS) - {"blocked"},
    marker("story-groups"): frozenset({"relative"}),  # staff are in nobody's groups
    marker("story-group"): frozenset({"relative", *STAFF}),  # the group's members, and staff
    marker("story-private"): frozenset(),
    marker("story-hidden"): frozenset(STAFF),
    # Words of support.
    marker("comment-members"): frozenset(MEMBERS) - {"blocked"},
    marker("comment-private"): frozenset(),  # on the private story
    marker("comment-hidden"): frozenset(STAFF),
    # The text of each owner's profile; the owner's own is "only me" on a members' profile.
    marker("profile-members"): frozenset(),
    marker("profile-groups"): frozenset({"relative"}),
    marker("profile-private"): frozenset(),
    marker("profile-hidden"): frozenset(STAFF),
}
# Pages that must show their object's text to whoever may read it, so that the leak check
# above looks at pages that do render it.
SHOWN_ON = {
    ("GET", "/stories/<int:story_id>"): "story-{state}",
    ("GET", "/members/<username>"): "profile-{state}",
    ("GET", "/search"): "story-members",
}


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    members: dict  # persona or owner handle -> MemberInfo
    ids: dict  # what the URL placeholders are filled with


def _story(owner_id: int, state: str, **fields) -> Story:
    visibility = state if state in ("public", "groups", "private") else "members"
    text = marker(f"story-{state}")
    story = Story(
        author_id=owner_id, title=f"{text} title", body=f"{text} by the lighthouse",
        language="en", visibility=visibility, **fields,
    )  # fmt: skip
    db.session.add(story)
    db.session.flush()
    return story


def _group(owner_id: int, state: str) -> Group:
    visibility = {"public": "public", "private": "group"}.get(state, "members")
    group = Group(
        slug=f"matrix-{state}", name=f"Matrix {state} group", kind="topic",
        description="A group of the matrix.", languages="en", visibility=visibility,
        join_policy="approval" if state == "private" else "open",
        status="proposed" if state == "proposed" else "active", founder_id=owner_id,
    )  # fmt: skip
    db.session.add(group)
    db.session.flush()
    if state != "proposed":
        _join(group, owner_id, role="moderator")
    return group


def _join(group: Group, member_id: int, *, role="member", status="active") -> GroupMembership:
    row = GroupMembership(
        group_id=group.id, member_id=member_id, role=role, status=status,
        joined_at=utcnow() if status == "active" else None,
    )  # fmt: skip
    db.session.add(row)
    group.member_count += status == "active"
    db.session.flush()
    return row


@pytest.fixture
def world(app, make_member) -> World:
    """The personas, the owners and their things in every state (see the module's docstring)."""
    people = {
        "patient": make_member("PatientPia"),
        "relative": make_member("RelativeRut", role="relative"),
        "blocked": make_member("BlockedBo"),
        "troll": make_member("TrollTrollsson", role="relative"),
        "sponsor": make_member("MariaStaff", role="sponsor"),
        "admin": make_member("AlexAdmin", role="admin"),
    }
    for handle in PROFILE_OWNERS.values():
        people[handle] = make_member(handle)
    ids: dict = {}
    with app.app_context():
        owners = {s: db.session.get(Member, people[h].id) for s, h in PROFILE_OWNERS.items()}
        owner = owners["members"]
        for state, member in owners.items():
            member.profile.story = f"{marker(f'profile-{state}')} about me"
            member.profile.profile_visibility = "members" if state == "hidden" else state
            ids[f"profile:{state}"] = member.username
            ids[f"member-id:{state}"] = member.id
        owner.profile.story_visibility = "private"
        groups = {state: _group(owner.id, state) for state in GROUP_STATES}
        ids.update({f"group:{state}": group.slug for state, group in groups.items()})
        ids.update({f"group-id:{state}": group.id for state, group in groups.items()})
        _join(groups["private"], people["relative"].id)
        _join(groups["private"], owners["groups"].id)
        ids["membership"] = _join(groups["private"], people["patient"].id, status="pending").id
        stories = {
            state: _story(
                owner.id, state, group_id=groups["private"].id if state == "group" else None
            )
            for state in STORY_STATES
        }
        ids.update({f"story:{state}": story.id for state, story in stories.items()})
        comments = {}
        for state in COMMENT_STATES:
            on = stories["private" if state == "private" else "members"]
            comments[state] = Comment(
                story_id=on.id,
                author_id=owner.id,
                body=f"{marker(f'comment-{state}')} hugs by the lighthouse",
            )
            db.session.add(comments[state])
            on.comment_count += 1
        db.session.flush()
        ids.update({f"comment:{state}": comment.id for state, comment in comments.items()})
        # Hidden by staff, each waits in the queue: staff see them there too. The story's item
        # is the one the routes get, with the owner's statement of reasons.
        items = {}
        for target_type, target in (
            ("story", stories["hidden"]),
            ("comment", comments["hidden"]),
            ("profile", owners["hidden"]),
        ):
            targets.hide(target_type, target, targets.HiddenReason.STAFF)
            items[target_type] = moderation_services.open_item_for(
                target_type, target, "report:spam"
            )
        decision = Decision(
            member_id=owner.id, item_id=items["story"].id, action="hide", ground="spam",
            explanation="Please keep to your own experience.", target_type="story",
            target_id=stories["hidden"].id,
        )  # fmt: skip
        db.session.add(decision)
        # A side-effect case about a members' story of the owner, its contact consent asked.
        case_story = Story(
            author_id=owner.id, title="My week", body="Jag fick svåra muskelkramper av Sprycel",
            language="sv", visibility="members",
        )  # fmt: skip
        db.session.add(case_story)
        db.session.flush()
        case = safety_services.open_case_from_detection(
            owner, "story", case_story, detect_adverse_event(case_story.body)
        )
        case.contact_requested_at = utcnow()
        notification = Notification(recipient_id=owner.id, kind="comment", story_id=case_story.id)
        db.session.add(notification)
        db.session.flush()
        ids.update(
            item=items["story"].id, decision=decision.id, case=case.id, notification=notification.id
        )
        # Every owner blocks the "blocked" persona, through the social feature's own service.
        blocked = db.session.get(Member, people["blocked"].id)
        for member in owners.values():
            social_services.block(member, blocked)
        db.session.commit()
    return World(people, ids)


# --- addresses and outcomes ----------------------------------------------------------------------

KIND_OF_PLACEHOLDER = {
    "<int:story_id>": "story",
    "<int:comment_id>": "comment",
    "<username>": "profile",
    "<slug>": "group",
    "<target_type>": "report",
}
STATES = {
    "story": STORY_STATES,
    "comment": COMMENT_STATES,
    "profile": PROFILE_STATES,
    "group": GROUP_STATES,
    "report": REPORT_STATES,
    None: ("-",),
}
FIXED = {
    "<int:item_id>": "item",
    "<int:decision_id>": "decision",
    "<int:case_id>": "case",
    "<int:notification_id>": "notification",
    "<int:membership_id>": "membership",
}
CONSTANTS = {
    "<any(hug, high_five):kind>": "hug",
    "<any(accept, refuse):answer>": "accept",
    "<int:size>": "64",
    "<code>": "SE",
    "<page>": "privacy",
    "<token>": "not-a-real-token",
    "<reference>": "DSA-0000000000",
}

# Lists asked for something, so that they have something to leak.
QUERIES = {"/search": "?q=lighthouse", "/groups/": "?q=matrix"}


def kind_of(rule: str) -> str | None:
    return next((kind for p, kind in KIND_OF_PLACEHOLDER.items() if p in rule), None)


def url_for_state(rule: str, state: str, ids: dict) -> str:
    kind = kind_of(rule)
    url = rule
    if kind == "report":
        target_type = state.split(":")[0]
        url = url.replace("<target_type>", target_type).replace(
            "<int:target_id>", str(_target_id(state, ids))
        )
    elif kind is not None:
        placeholder = next(p for p, k in KIND_OF_PLACEHOLDER.items() if k == kind)
        url = url.replace(placeholder, str(ids[f"{kind}:{state}"]))
    for placeholder, key in FIXED.items():
        url = url.replace(placeholder, str(ids[key]))
    for placeholder, value in CONSTANTS.items():
        url = url.replace(placeholder, value)
    assert "<" not in url, f"no value for a placeholder of {rule}"
    return url + QUERIES.get(rule, "")


def _target_id(state: str, ids: dict) -> int:
    if state.startswith("profile:"):
        return ids[f"member-id:{state.split(':')[1]}"]
    if state.startswith("group:"):
        return ids[f"group-id:{state.split(':')[1]}"]
    return ids[state]


def routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def expected(method: str, rule: str) -> dict[str, dict[str, str]]:
    """{state: {persona: outcome}} of one entry."""
    entry = MATRIX[(method, rule)]
    by_state = entry if isinstance(entry, dict) else dict.fromkeys(STATES[kind_of(rule)], entry)
    return {state: dict(zip(PERSONAS, row.split(), strict=True)) for state, row in by_state.items()}


def in_order() -> list[tuple[str, str]]:
    """MATRIX's entries, every GET first."""
    return sorted(MATRIX, key=lambda entry: entry[0] != "GET")


def outcome(response) -> str:
    """The status as the matrix writes it: "L" for a redirect to the login page."""
    if response.status_code == 302 and "/auth/login" in response.location:
        return "L"
    return str(response.status_code)


def leaked(body: str, persona: str, world: World) -> list[str]:
    found = [text for text, readers in MAY_READ.items() if persona not in readers and text in body]
    found += [
        f"{who}'s email" for who, m in world.members.items() if who != persona and m.email in body
    ]
    return found


def test_every_route_is_in_the_matrix(app):
    assert routes(app) == set(MATRIX)
    for method, rule in MATRIX:
        states = set(expected(method, rule))
        assert states == set(STATES[kind_of(rule)]), f"{method} {rule}: states {states}"


def test_the_matrix_counts_in_the_docstring_are_right():
    calls = sum(len(expected(method, rule)) for method, rule in MATRIX)
    assert (len(MATRIX), calls, calls * len(PERSONAS)) == (143, 283, 1981)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(app, world, persona):
    browser = Auth(app.test_client())
    if persona != "anonymous":
        assert browser.login(world.members[persona]).status_code == 302
    client = browser.client
    token = csrf_token(client.get("/report/notice").get_data(as_text=True))
    failures = []
    for method, rule in in_order():
        for state, wanted in expected(method, rule).items():
            url = url_for_state(rule, state, world.ids)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "action": "add"})
            got = outcome(response)
            if got != wanted[persona]:
                failures.append(f"{method} {url} [{state}]: {got}, expected {wanted[persona]}")
            body = response.get_data().decode(errors="replace")  # exports may be binary
            if leaks := leaked(body, persona, world):
                failures.append(f"{method} {url} [{state}] shows {leaks}")
            if (method, rule) in SHOWN_ON and got == "200":
                text = marker(SHOWN_ON[(method, rule)].format(state=state))
                if persona in MAY_READ[text] and text not in body:
                    failures.append(f"{method} {url} [{state}] does not show {text}")
    assert not failures, "\n".join(failures)
    _nothing_of_the_owners_changed(app, world)


def _nothing_of_the_owners_changed(app, world: World) -> None:
    """No persona could edit, delete, unblock or appeal anything of the owners."""
    owner_ids = [world.members[handle].id for handle in PROFILE_OWNERS.values()]
    with app.app_context():
        stories = db.session.scalars(select(Story.title).where(Story.author_id.in_(owner_ids)))
        assert sorted(stories) == sorted(
            [f"{marker(f'story-{state}')} title" for state in STORY_STATES] + ["My week"]
        )
        comments = db.session.scalars(select(Comment.body).where(Comment.hidden_at.is_(None)))
        assert sorted(comments) == sorted(
            f"{marker(f'comment-{state}')} hugs by the lighthouse"
            for state in ("members", "private")
        )
        profiles = db.session.execute(
            select(Profile.story, Profile.profile_visibility, Profile.hidden_at.is_not(None))
            .where(Profile.member_id.in_(owner_ids))
            .order_by(Profile.member_id)
        ).all()
        assert [tuple(row) for row in profiles] == [
            (f"{marker(f'profile-{state}')} about me", "members" if state == "hidden" else state,
             state == "hidden")
            for state in PROFILE_OWNERS
        ]  # fmt: skip
        blocks = select(func.count()).where(
            Block.blocker_id.in_(owner_ids), Block.blocked_id == world.members["blocked"].id
        )
        assert db.session.scalar(blocks) == len(owner_ids)
        assert db.session.get(Decision, world.ids["decision"]).appealed_at is None
        assert db.session.get(ModerationItem, world.ids["item"]).status == "open"
        assert db.session.get(Notification, world.ids["notification"]).read_at is None


def test_owners_see_their_hidden_things_with_a_link_to_the_reasons(app, world):
    """The owners, who are no persona above: their hidden story, word and profile still open
    for them, marked hidden, with the way to the statement of reasons."""
    pages = (
        (OWNER, f"/stories/{world.ids['story:hidden']}", "story-hidden"),
        (OWNER, f"/stories/{world.ids['story:members']}", "comment-hidden"),
        (PROFILE_OWNERS["hidden"], f"/members/{PROFILE_OWNERS['hidden']}", "profile-hidden"),
    )
    for handle, url, text in pages:
        browser = Auth(app.test_client())
        assert browser.login(world.members[handle]).status_code == 302
        response = browser.client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "only its author and staff can see it" in body
        assert 'href="/moderation/decisions"' in body
        assert marker(text) in body
