"""Who may read side-effect cases and answer a contact request: pure functions of the viewer."""

from __future__ import annotations


def _member(viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated)


def can_handle_cases(viewer) -> bool:
    """The safety team (admins and designated sponsor staff) and nobody else, moderators
    without safety access included."""
    return _member(viewer) and viewer.has_safety_access


def can_answer_contact_request(viewer, case) -> bool:
    """Only the member the case is about, once they have been asked."""
    return (
        _member(viewer)
        and case is not None
        and case.member_id is not None
        and viewer.id == case.member_id
        and case.contact_requested_at is not None
    )


def can_see_contact_details(viewer, case) -> bool:
    """The member's address reaches the safety team only when the member said yes."""
    return can_handle_cases(viewer) and case.contact_consent is True and case.member is not None
