"""Download my data (GDPR Art. 15 and 20): a ZIP with data.json, a readable index.html and files.

Every feature that stores something about a member adds a section here, so the export stays
complete as the site grows::

    from cml_earth.account.export import section

    @section("stories", _l("Your stories"))
    def _stories(member):
        return [...]  # JSON-able: dicts, lists, str, int, bool, None, datetime

A section function runs at most one query (or none), so an export costs the same number of
queries however much a member has written. Files (pictures) are added through ``files``.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..audit.models import AuditEvent
from ..audit.services import record
from ..auth.models import Member, MemberSession
from ..database import utcnow
from ..extensions import db
from ..i18n import country_name, language_label
from ..profiles import avatars
from ..profiles.models import (
    OTHER_TREATMENTS,
    PHASE_LABELS,
    SENSITIVE_FIELDS,
    TREATMENTS,
    VISIBILITY_LABELS,
)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    collect: Callable[[Member], Any]


#: The parts of an export, in the order they appear; features append with ``@section``.
SECTIONS: list[Section] = []

#: Functions returning (name inside the ZIP, file on disk) pairs of the member's files.
FILES: list[Callable[[Member], Iterable[tuple[str, Path]]]] = []

#: What the readable copy calls the keys of data.json; features add theirs. Unknown keys are
#: shown as they are in data.json.
LABELS = {
    "username": _l("Username"),
    "email": _l("Email address"),
    "role": _l("Role"),
    "country_code": _l("Country"),
    "locale": _l("Language"),
    "timezone": _l("Time zone"),
    "email_verified_at": _l("Email address confirmed"),
    "age_confirmed_at": _l("Age confirmed"),
    "guidelines_accepted_at": _l("Community guidelines accepted"),
    "guidelines_version": _l("Version of the community guidelines"),
    "last_login_at": _l("Last login"),
    "created_at": _l("Created"),
    "updated_at": _l("Last changed"),
    "story": _l("My story so far"),
    "languages": _l("Languages I read and write"),
    "diagnosis_year": _l("Year of diagnosis"),
    "diagnosis_phase": _l("Phase at diagnosis"),
    "treatment": _l("Current treatment"),
    "avatar_files": _l("Picture files"),
    "visibility": _l("Who sees what"),
    "profile": _l("My profile"),
    "country": _l("My country"),
    "health": _l("My diagnosis and treatment"),
    "avatar": _l("My picture"),
    "purpose": _l("Purpose"),
    "given_at": _l("Given"),
    "withdrawn_at": _l("Withdrawn"),
    "text_version": _l("Version of the text shown"),
    "text_hash": _l("Fingerprint (SHA-256) of the text shown"),
    "text_locale": _l("Language of the text shown"),
    "method": _l("How it was given"),
    "expires_at": _l("Expires"),
    "ended_at": _l("Ended"),
    "ended_reason": _l("Why it ended"),
    "remember": _l("Kept logged in"),
    "ip_address": _l("Internet address"),
    "user_agent": _l("Browser"),
    "at": _l("When"),
    "kind": _l("What happened"),
    "about_you": _l("About you"),
    "actor": _l("Done by"),
    "data": _l("Details"),
}

ROLE_LABELS = {
    "patient": _l("Living with CML"),
    "relative": _l("Relative or friend"),
    "sponsor": _l("Sponsor staff"),
    "admin": _l("Administrator"),
}
PURPOSE_LABELS = {"health_data": _l("Processing my health data")}
ACTOR_LABELS = {"you": _l("You"), "another member": _l("Someone else")}


def _named(labels: dict) -> Callable[[Any], Any]:
    return lambda value: labels.get(value, value) if value is not None else None


#: How the readable copy shows the value under a key of data.json (the JSON keeps the codes).
VALUES: dict[str, Callable[[Any], Any]] = {
    "role": _named(ROLE_LABELS),
    "country_code": lambda code: country_name(code) or None,
    "locale": lambda code: language_label(code) if code else None,
    "languages": lambda codes: (
        [language_label(code) for code in codes] if isinstance(codes, list) else codes
    ),
    "diagnosis_phase": _named(PHASE_LABELS),
    "treatment": _named({**TREATMENTS, **OTHER_TREATMENTS}),
    "visibility": lambda levels: (
        {field: VISIBILITY_LABELS.get(level, level) for field, level in levels.items()}
        if isinstance(levels, dict)
        else levels
    ),
    "purpose": _named(PURPOSE_LABELS),
    "actor": _named(ACTOR_LABELS),
}


def section(name: str, title: str) -> Callable:
    """Register ``function(member) -> JSON-able`` as the export section ``name``."""

    def register(function: Callable[[Member], Any]) -> Callable[[Member], Any]:
        if any(existing.name == name for existing in SECTIONS):
            raise ValueError(f"export section {name!r} is registered twice")
        SECTIONS.append(Section(name, title, function))
        return function

    return register


def files(function: Callable[[Member], Iterable[tuple[str, Path]]]) -> Callable:
    """Register ``function(member)`` listing (name inside the ZIP, path) of the member's files."""
    FILES.append(function)
    return function


# --- the sections of the account and profile features --------------------------------------


@section("account", _l("Your account"))
def _account(member: Member) -> dict:
    # The password is left out: we keep only a one-way hash of it, useless to anyone but us.
    return {
        "username": member.username,
        "email": member.email,
        "role": member.role,
        "country_code": member.country_code,
        "locale": member.locale,
        "timezone": member.timezone,
        "email_verified_at": member.email_verified_at,
        "age_confirmed_at": member.age_confirmed_at,
        "guidelines_accepted_at": member.guidelines_accepted_at,
        "guidelines_version": member.guidelines_version,
        "last_login_at": member.last_login_at,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


@section("profile", _l("Your profile"))
def _profile(member: Member) -> dict:
    profile = member.profile
    return {
        "story": profile.story,
        "languages": profile.language_codes,
        "diagnosis_year": profile.diagnosis_year,
        "diagnosis_phase": profile.diagnosis_phase,
        "treatment": profile.treatment,
        "avatar_files": [name for name, _path in _avatar_files(member)],
        "visibility": {
            field: getattr(profile, f"{field}_visibility")
            for field in ("profile", *SENSITIVE_FIELDS)
        },
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


@section("consents", _l("Your consents"))
def _consents(member: Member) -> list[dict]:
    return [
        {
            "purpose": consent.purpose,
            "given_at": consent.given_at,
            "withdrawn_at": consent.withdrawn_at,
            "text_version": consent.text_version,
            "text_hash": consent.text_hash,
            "text_locale": consent.text_locale,
            "method": consent.method,
        }
        for consent in member.consents
    ]


@section("login_sessions", _l("Your logins"))
def _login_sessions(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(MemberSession)
        .where(MemberSession.member_id == member.id)
        .order_by(MemberSession.created_at, MemberSession.id)
    )
    return [
        {
            "created_at": row.created_at,
            "expires_at": row.expires_at,
            "ended_at": row.ended_at,
            "ended_reason": row.ended_reason,
            "remember": row.remember,
            "ip_address": row.ip_address,
            "user_agent": row.user_agent,
        }
        for row in rows
    ]


@section("audit_events", _l("Security and privacy records about you"))
def _audit_events(member: Member) -> list[dict]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.member_id == member.id, AuditEvent.actor_id == member.id))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [_audit_event(member, event) for event in events]


def _audit_event(member: Member, event: AuditEvent) -> dict:
    if event.actor_id is None:
        actor = None
    elif event.actor_id == member.id:
        actor = "you"
    else:
        actor = "another member"
    return {
        "at": event.at,
        "kind": event.kind,
        "about_you": event.member_id == member.id,
        "actor": actor,
        # The address is the acting person's: when someone else acted (staff), it is theirs.
        "ip_address": event.ip_address if actor != "another member" else None,
        "data": event.data,
    }


@files
def _avatar_files(member: Member) -> list[tuple[str, Path]]:
    key = member.profile.avatar_key
    if not key:
        return []
    found = []
    for size in avatars.SIZES:
        path = avatars.avatar_path(member.id, key, size)
        if path.is_file():
            found.append((f"avatars/{path.name}", path))
    return found


# --- building the archive -------------------------------------------------------------------


def collect(member: Member) -> dict:
    """Everything the site holds about ``member``, section by section."""
    data: dict[str, Any] = {
        "export": {
            "site": current_app.config["SITE_NAME"],
            "controller": current_app.config["SPONSOR_NAME"],
            "exported_at": utcnow(),
            "format_version": FORMAT_VERSION,
        }
    }
    for part in SECTIONS:
        data[part.name] = part.collect(member)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def to_json(data: dict) -> bytes:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2).encode()


def _readable(value: Any) -> str:
    """One value as the member reads it: times in their time zone and language."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    return str(value)


def _for_reading(value: Any, key: str | None = None) -> Any:
    """``value`` with codes turned into words (VALUES), all the way down."""
    if key in VALUES:
        value = VALUES[key](value)
    if isinstance(value, dict):
        return {name: _for_reading(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_for_reading(item) for item in value]
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    return str(value)  # a lazily translated label


def _readable_copy(member: Member, data: dict, picture: Path | None) -> str:
    with force_locale(member.locale):
        return render_template(
            "account/export_index.html",
            member=member,
            data=data,
            sections=[
                (part.name, str(part.title), _for_reading(data[part.name])) for part in SECTIONS
            ],
            readable=_readable,
            label=lambda key: str(LABELS.get(key, key)),
            picture=_data_uri(picture) if picture else None,
        )


def _data_uri(path: Path) -> str:
    return "data:image/webp;base64," + base64.b64encode(path.read_bytes()).decode()


@dataclass
class Archive:
    filename: str
    content: bytes


def export_member(member: Member) -> Archive:
    """The member's ZIP, built in memory, and an audit entry that they downloaded it."""
    data = collect(member)
    member_files = [pair for source in FILES for pair in source(member)]
    largest = f"-{avatars.SIZES[-1]}.webp"
    picture = next((path for name, path in member_files if name.endswith(largest)), None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", to_json(data))
        archive.writestr("index.html", _readable_copy(member, data, picture).encode())
        for name, path in member_files:
            archive.write(path, name)
    record("member.exported", member=member, actor=member)
    return Archive(f"cml-earth-{member.username}-{utcnow():%Y-%m-%d}.zip", buffer.getvalue())
