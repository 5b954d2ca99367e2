"""Pages and actions of the stories feature."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import paging
from ..auth.permissions import can_post, verified_required
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, apply_errors
from ..groups import permissions as group_permissions
from ..groups import services as group_services
from ..moderation import screening
from ..profiles import permissions as profile_permissions
from ..profiles import services as profile_services
from ..profiles.models import Visibility
from . import permissions, services
from .forms import CommentForm, StoryForm, new_submission_key

bp = Blueprint("stories", __name__)

INVALID = 422
PER_PAGE = 20
#: Stories shown on a profile page; the rest are on the member's list of stories.
ON_PROFILE = 20


@bp.app_context_processor
def _story_helpers() -> dict:
    return {
        "can_edit_story": permissions.can_edit_story,
        "can_edit_comment": permissions.can_edit_comment,
        "can_remove_comment": permissions.can_remove_comment,
        "stories_on_profile": _stories_on_profile,
    }


def _stories_on_profile(member) -> tuple[list, bool]:
    """For the profile page: the newest stories the viewer may see, and whether there are more."""
    rows = db.session.scalars(
        services.stories_by(current_user, member.id).limit(ON_PROFILE + 1)
    ).all()
    return rows[:ON_PROFILE], len(rows) > ON_PROFILE


def _page(statement):
    return db.paginate(statement, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


def _visible_story_or_404(story_id: int):
    story = services.find_story(story_id)
    if story is None:
        abort(404)
    if not permissions.can_view_story(current_user, story):
        if not current_user.is_authenticated and story.visibility != Visibility.PRIVATE:
            abort(current_app.login_manager.unauthorized())
        abort(404)  # a story the viewer may not see does not exist for them
    return story


def _own_story_or_error(story_id: int):
    story = _visible_story_or_404(story_id)
    if not permissions.can_edit_story(current_user, story):
        abort(403)
    return story


def _visible_comment_or_404(comment_id: int):
    comment = services.find_comment(comment_id)
    if comment is None or not permissions.can_view_comment(current_user, comment):
        abort(404)
    return comment


def render_feed():
    """The home page of a logged-in member (main.home calls this)."""
    number = paging.requested_page()
    # home_feed pages itself: each of its two parts stops at the page's end.
    rows = db.session.scalars(
        services.home_feed(current_user, offset=(number - 1) * PER_PAGE, limit=PER_PAGE + 1)
    ).all()
    page = paging.Window(
        items=rows[:PER_PAGE],
        page=number,
        has_next=len(rows) > PER_PAGE and number < paging.MAX_PAGE,
    )
    return render_template("stories/feed.html", page=page, can_write=can_post(current_user))


@bp.get("/feed")
@login_required
def feed():
    return render_feed()


def _story_form(story=None) -> StoryForm:
    groups = None
    if story is None:
        groups = [
            group
            for group in db.session.scalars(group_services.groups_of(current_user))
            if group_permissions.can_post(current_user, group)
        ]
    form = StoryForm(obj=story, member=current_user, groups=groups)
    if story is None and not form.is_submitted():
        form.submission_key.data = new_submission_key()
        chosen = group_services.find_group(request.args.get("group") or "")
        if chosen is not None and any(group.id == chosen.id for group in groups):
            form.group.data = str(chosen.id)
    return form


def _unconfirmed_details(form, *texts: str) -> list[str]:
    """Personal details in the post that the author has not yet seen and confirmed."""
    return [] if form.personal_details_ok.data else screening.personal_details(*texts)


def _after_writing(post, url: str):
    """Where the author goes next: the crisis contacts at once when the post spoke of self-harm;
    a word when a new member's post waits for staff."""
    result = getattr(post, "screening", None) or screening.Screening()
    if result.held:
        flash(_("Your post waits for a quick look by staff because it has links: new members' "
                "links are checked first. Only you can see it until then."), "info")  # fmt: skip
    if result.crisis:
        flash(_("Thank you for sharing this. If you are having a hard time, you do not have to "
                "face it alone: these people can help right now."), "info")  # fmt: skip
        return redirect(url_for("help.crisis"))
    return redirect(url)


@bp.route("/stories/new", methods=["GET", "POST"])
@verified_required
def new_story():
    form = _story_form()
    details = []
    if form.validate_on_submit() and not (
        details := _unconfirmed_details(form, form.title.data, form.body.data)
    ):
        try:
            story = services.publish_story(
                current_user,
                title=form.title.data,
                body=form.body.data,
                language=form.language.data,
                visibility=form.visibility.data,
                submission_key=form.submission_key.data or None,
                group_id=int(form.group.data) if form.group.data else None,
            )
        except DomainError as refused:
            apply_errors(form, refused.errors)
        else:
            flash(_("Your story is published."), "success")
            return _after_writing(story, url_for("stories.story", story_id=story.id))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "stories/edit_story.html", form=form, story=None, personal_details=details
    ), status


def _render_story(story, comment_form=None, status=200, personal_details=()):
    comments = db.session.scalars(services.visible_comments(current_user, story)).all()
    if comment_form is None and permissions.can_comment(current_user, story):
        comment_form = CommentForm(formdata=None, submission_key=new_submission_key())
    return render_template(
        "stories/story.html",
        story=story,
        comments=comments,
        comment_form=comment_form,
        button_form=EmptyForm(),
        personal_details=personal_details,
    ), status


@bp.get("/stories/<int:story_id>")
def story(story_id: int):
    return _render_story(_visible_story_or_404(story_id))


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def edit_story(story_id: int):
    story = _own_story_or_error(story_id)
    form = _story_form(story)
    details = []
    if form.validate_on_submit() and not (
        details := _unconfirmed_details(form, form.title.data, form.body.data)
    ):
        services.edit_story(
            story,
            title=form.title.data,
            body=form.body.data,
            language=form.language.data,
            visibility=form.visibility.data,
        )
        flash(_("Your story is saved."), "success")
        return _after_writing(story, url_for("stories.story", story_id=story.id))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "stories/edit_story.html", form=form, story=story, personal_details=details
    ), status


@bp.route("/stories/<int:story_id>/delete", methods=["GET", "POST"])
@login_required
def delete_story(story_id: int):
    story = _own_story_or_error(story_id)
    form = EmptyForm()
    if form.validate_on_submit():
        services.delete_story(story)
        flash(_("Your story is deleted."), "success")
        return redirect(url_for("profiles.profile", username=current_user.username))
    return render_template("stories/delete_story.html", form=form, story=story)


@bp.post("/stories/<int:story_id>/comments")
@login_required
def comment(story_id: int):
    story = _visible_story_or_404(story_id)
    if not permissions.can_comment(current_user, story):
        abort(403)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_story(story, form, INVALID)
    details = _unconfirmed_details(form, form.body.data)
    if details:
        return _render_story(story, form, INVALID, personal_details=details)
    try:
        created = services.create_comment(
            current_user, story, form.body.data, form.submission_key.data or None
        )
    except DomainError as refused:
        apply_errors(form, refused.errors)
        return _render_story(story, form, INVALID)
    flash(_("Thank you for your words of support."), "success")
    return _after_writing(
        created, url_for("stories.story", story_id=story.id, _anchor=f"comment-{created.id}")
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    comment = _visible_comment_or_404(comment_id)
    if not permissions.can_edit_comment(current_user, comment):
        abort(403)
    form = CommentForm(obj=comment)
    details = []
    if form.validate_on_submit() and not (details := _unconfirmed_details(form, form.body.data)):
        services.edit_comment(comment, form.body.data)
        flash(_("Your words of support are saved."), "success")
        return _after_writing(
            comment,
            url_for("stories.story", story_id=comment.story_id, _anchor=f"comment-{comment.id}"),
        )
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "stories/edit_comment.html", form=form, comment=comment, personal_details=details
    ), status


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    comment = _visible_comment_or_404(comment_id)
    if not permissions.can_remove_comment(current_user, comment):
        abort(403)
    story_id = comment.story_id
    if EmptyForm().validate_on_submit():  # the CSRF token
        services.delete_comment(comment)
        flash(_("The words of support are removed."), "success")
    return redirect(url_for("stories.story", story_id=story_id, _anchor="comments"))


@bp.get("/members/<username>/stories")
def member_stories(username: str):
    member = profile_services.find_member(username)
    if member is None:
        abort(404)
    if not profile_permissions.can_view_profile(current_user, member):
        if not current_user.is_authenticated and profile_permissions.would_see_after_login(member):
            return current_app.login_manager.unauthorized()
        abort(404)
    page = _page(services.stories_by(current_user, member.id))
    return render_template("stories/member_stories.html", member=member, page=page)
