"""Pages and actions of the reactions feature: the hug and high-five buttons, who sent them."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..auth.models import Member
from ..auth.permissions import viewer
from ..extensions import db, limiter
from ..profiles.services import find_member
from ..security import safe_next
from ..stories.models import Comment, Story
from . import permissions, services
from .forms import ReactionForm
from .models import ReactionKind

bp = Blueprint("reactions", __name__)

KIND = "<any(hug, high_five):kind>"
PER_PAGE = 30

ADDED = {
    ReactionKind.HUG: _l("You sent a hug."),
    ReactionKind.HIGH_FIVE: _l("You sent a high-five."),
}
TAKEN_BACK = {
    ReactionKind.HUG: _l("You took back your hug."),
    ReactionKind.HIGH_FIVE: _l("You took back your high-five."),
}


def count_label(kind: str, count: int) -> str:
    """ "3 hugs": what a button's count says to everyone, screen readers included."""
    if kind == ReactionKind.HUG:
        return ngettext("%(num)d hug", "%(num)d hugs", count)
    return ngettext("%(num)d high-five", "%(num)d high-fives", count)


def _viewer():
    return viewer()


def _sent(target) -> frozenset[str]:
    """Kinds the viewer sent to one target; lists should pass ``sent`` from sent_kinds()."""
    return services.sent_kinds(viewer(), [target]).get(services.target_key(target), frozenset())


def _action_url(target, kind: str) -> str:
    if isinstance(target, Member):
        return url_for("reactions.react_to_member", username=target.username, kind=kind)
    if isinstance(target, Story):
        return url_for("reactions.react_to_story", story_id=target.id, kind=kind)
    return url_for("reactions.react_to_comment", comment_id=target.id, kind=kind)


def _senders_url(target) -> str:
    if isinstance(target, Member):
        return url_for("reactions.member_senders", username=target.username)
    if isinstance(target, Story):
        return url_for("reactions.story_senders", story_id=target.id)
    return url_for("reactions.comment_senders", comment_id=target.id)


def _counts(target) -> dict[str, int]:
    counted = target.profile if isinstance(target, Member) else target
    return {kind.value: getattr(counted, f"{kind.value}_count") for kind in ReactionKind}


# Globals, not a context processor: templates import the macro without their context.
for _name, _function in {
    "reaction_viewer": _viewer,
    "can_react": permissions.can_react,
    "reaction_count_label": count_label,
    "reactions_sent": _sent,
    "reaction_action_url": _action_url,
    "reaction_senders_url": _senders_url,
    "reaction_counts": _counts,
    "sent_reaction_kinds": lambda targets: services.sent_kinds(viewer(), targets),
    "reaction_target_key": services.target_key,
    "relation_to_member": lambda member: services.relation_to(viewer(), member),
}.items():
    bp.add_app_template_global(_function, _name)


def _per_member() -> str:
    return f"reactions|{getattr(current_user, 'id', None)}"


def _limit() -> str:
    return current_app.config["REACTION_LIMIT_PER_MEMBER"]


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _url_of(target) -> str:
    if isinstance(target, Member):
        return url_for("profiles.profile", username=target.username)
    if isinstance(target, Story):
        return url_for("stories.story", story_id=target.id)
    return url_for("stories.story", story_id=target.story_id, _anchor=f"comment-{target.id}")


def _react(target, kind: str):
    form = ReactionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        state = services.toggle_reaction(current_user, kind, target, form.action.data)
    except services.TargetNotFound:
        abort(404)
    except services.ReactionRefused as refusal:
        if _wants_json():
            return jsonify(error=str(refusal.message)), 403
        return render_template(
            "errors/error.html", status=403, title=_("Not allowed"), text=refusal.message
        ), 403
    if _wants_json():
        return jsonify(count=state.count, active=state.active, label=count_label(kind, state.count))
    flash((ADDED if state.active else TAKEN_BACK)[ReactionKind(kind)], "success")
    return redirect(safe_next(_url_of(target)))


def _story(story_id: int) -> Story:
    story = db.session.get(Story, story_id)
    if story is None:
        abort(404)
    return story


def _comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    return comment


def _member(username: str) -> Member:
    member = find_member(username)
    if member is None:
        abort(404)
    return member


@bp.post(f"/stories/<int:story_id>/reactions/{KIND}")
@login_required
@limiter.limit(_limit, key_func=_per_member)
def react_to_story(story_id: int, kind: str):
    return _react(_story(story_id), kind)


@bp.post(f"/comments/<int:comment_id>/reactions/{KIND}")
@login_required
@limiter.limit(_limit, key_func=_per_member)
def react_to_comment(comment_id: int, kind: str):
    return _react(_comment(comment_id), kind)


@bp.post(f"/members/<username>/reactions/{KIND}")
@login_required
@limiter.limit(_limit, key_func=_per_member)
def react_to_member(username: str, kind: str):
    return _react(_member(username), kind)


# --- who sent them ------------------------------------------------------------------------


def _senders(target, title: str):
    if not permissions.can_see_target(current_user, target):
        abort(404)
    page = db.paginate(
        services.senders(current_user, target),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "reactions/senders.html",
        page=page,
        kinds=services.kinds_from(target, page.items),
        target=target,
        target_url=_url_of(target),
        title=title,
    )


@bp.get("/stories/<int:story_id>/reactions")
def story_senders(story_id: int):
    story = _story(story_id)
    return _senders(story, _("Hugs and high-fives for “%(title)s”", title=story.title))


@bp.get("/comments/<int:comment_id>/reactions")
def comment_senders(comment_id: int):
    return _senders(_comment(comment_id), _("Hugs and high-fives for a word of support"))


@bp.get("/members/<username>/reactions")
def member_senders(username: str):
    member = _member(username)
    return _senders(member, _("Hugs and high-fives for %(name)s", name=member.username))
