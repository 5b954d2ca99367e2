"""Pages and actions of the groups feature."""

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import paging
from ..auth.permissions import verified_required
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import EmptyForm, apply_errors
from ..i18n import country_name
from ..moderation.actions import decide_proposal
from ..moderation.models import Action
from ..stories.models import Story
from . import permissions, services, worldmap
from .countries import find_countries, find_country, is_country_code
from .forms import EditForm, NearForm, ProposeForm, RefuseForm, SearchForm
from .geocoding import Place, PlaceError, geocode_place
from .models import (
    JOIN_POLICY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    GroupKind,
    GroupStatus,
)

bp = Blueprint("groups", __name__)

INVALID = 422
PER_PAGE = 20
#: Newest members and unanswered stories in the group page's welcome panel.
WELCOME_SIZE = 5


@bp.app_context_processor
def _group_helpers() -> dict:
    return {"group_permissions": permissions}


# Labels as template globals, so that macros imported without the context can use them too.
@bp.app_template_global()
def group_kind_label(value: str) -> str:
    return KIND_LABELS.get(value, value)


@bp.app_template_global()
def group_status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


@bp.app_template_global()
def group_visibility_label(value: str) -> str:
    return VISIBILITY_LABELS.get(value, value)


@bp.app_template_global()
def group_policy_label(value: str) -> str:
    return JOIN_POLICY_LABELS.get(value, value)


def _page(statement, per_page: int = PER_PAGE):
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 10_000:
        abort(404)
    return db.paginate(statement, page=page, per_page=per_page, max_per_page=per_page)


def _kind_or_none(value: str | None) -> str | None:
    return value if value in set(GroupKind) else None


def _proposal_limit() -> str:
    return current_app.config["GROUP_PROPOSAL_LIMIT_PER_MEMBER"]


def _join_limit() -> str:
    return current_app.config["GROUP_JOIN_LIMIT_PER_MEMBER"]


def _member_key() -> str:
    return f"member:{current_user.get_id()}"


# --- finding --------------------------------------------------------------------------------


@bp.get("/")
def index():
    """Search by country in any language, by code, or by words of the name and description."""
    form = SearchForm(request.args)
    query = (form.q.data or "").strip()
    kind = _kind_or_none(form.kind.data)
    if not form.validate() or "\x00" in query:
        return render_template("groups/index.html", form=form, searched=False), INVALID
    if not query and not kind:
        page = _page(services.search_groups())
        return render_template("groups/index.html", form=form, searched=False, page=page)
    country = find_country(query) if query else None
    suggestions = [] if country or not query else find_countries(query, limit=6)
    statement = services.search_groups(
        text=query, countries=[country] if country else None, kind=kind
    )
    page = _page(statement)
    country_has_group = country is not None and services.national_group(country) is not None
    return render_template(
        "groups/index.html",
        form=form,
        searched=True,
        query=query,
        country=country,
        country_has_national=country_has_group,
        suggestions=suggestions,
        page=page,
    )


@bp.get("/countries")
def countries():
    """Every country with groups or members, named and sorted in the viewer's language."""
    counts = services.country_counts()
    rows = worldmap.map_rows(_map_counts(counts), str(get_locale()))
    return render_template("groups/countries.html", rows=rows)


@bp.get("/country/<code>")
def country(code: str):
    if not is_country_code(code):
        abort(404)
    if code != code.upper():
        return redirect(url_for("groups.country", code=code.upper()), 301)
    page = _page(services.groups_in_country(code))
    national = services.national_group(code)
    return render_template("groups/country.html", code=code, page=page, national=national)


def _member_place() -> Place | None:
    if not current_user.is_authenticated:
        return None
    profile = current_user.profile
    if profile is None or profile.latitude is None:
        return None
    return Place(profile.place_name, profile.latitude, profile.longitude, None)


@bp.get("/near")
def near():
    """Groups ordered by distance from a place typed here, or the member's saved place."""
    form = NearForm(request.args)
    kind = _kind_or_none(form.kind.data)
    text = (form.place.data or "").strip()
    place, error = None, None
    if not form.validate() or "\x00" in text:
        return render_template("groups/near.html", form=form, place=None, results=None), INVALID
    if text:
        try:
            place = geocode_place(text)
        except PlaceError as problem:
            error = str(problem)
    else:
        place = _member_place()
    results = services.groups_near(place.latitude, place.longitude, kind) if place else None
    status = INVALID if error else 200
    return render_template(
        "groups/near.html",
        form=form,
        place=place,
        error=error,
        results=results,
        saved_place=_member_place(),
        typed=bool(text),
    ), status


@bp.post("/near/place")
@login_required
def save_place():
    """Remember the place typed on the near-me page (or forget it) as the member's place."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    text = (request.form.get("place") or "").strip()
    if request.form.get("forget"):
        services.set_place(current_user, None)
        flash(_("Your place is forgotten."), "success")
        return redirect(url_for("groups.near"))
    if not text or len(text) > 120 or "\x00" in text:
        flash(_("Please type a place first."), "warning")
        return redirect(url_for("groups.near"))
    try:
        place = geocode_place(text)
    except PlaceError as problem:
        flash(str(problem), "warning")
        return redirect(url_for("groups.near"))
    services.set_place(current_user, place)
    flash(_("Saved: groups near %(place)s are shown first.", place=place.name), "success")
    return redirect(url_for("groups.near"))


def _map_counts(counts: dict[str, tuple[int, int]]) -> dict[str, worldmap.CountryCount]:
    return {
        code: worldmap.CountryCount(members=members, groups=groups)
        for code, (members, groups) in counts.items()
        if is_country_code(code)
    }


def _country_link(code: str) -> str:
    return url_for("groups.country", code=code)


@bp.get("/map")
def world_map():
    counts = _map_counts(services.country_counts())
    locale = str(get_locale())
    svg = worldmap.render_map(counts, link_for=_country_link, locale=locale)
    rows = worldmap.map_rows(counts, locale)
    return render_template("groups/map.html", svg=svg, rows=rows)


@bp.get("/map.svg")
def world_map_image():
    """The small map of the home page, as a picture: one query, cached for a few minutes."""
    counts = _map_counts(services.country_counts())
    response = current_app.response_class(worldmap.render_image(counts), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- founding -------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@verified_required
@limiter.limit(_proposal_limit, key_func=_member_key, methods=["POST"])
def propose():
    if current_user.is_staff:
        flash(_("Groups are founded by members; sponsor staff approve them."), "info")
        return redirect(url_for("groups.proposals"))
    form = ProposeForm()
    existing = None
    if not form.is_submitted():
        kind = _kind_or_none(request.args.get("kind"))
        code = (request.args.get("country") or "").upper()
        if kind:
            form.kind.data = kind
        if is_country_code(code):
            form.country_code.data = code
            if kind == GroupKind.NATIONAL:
                form.name.data = f"CML {country_name(code)}"
        form.languages.data = [current_user.locale]
        if form.country_code.data:
            existing = services.national_group(form.country_code.data)
    elif form.validate():
        try:
            place = _place_for(form)
            group = services.propose_group(
                current_user,
                name=form.name.data,
                kind=form.kind.data,
                country_code=form.country_code.data or None,
                place=place,
                description=form.description.data,
                languages=form.languages.data,
                visibility=form.visibility.data,
                join_policy=form.join_policy.data,
            )
        except services.NationalGroupExists as refused:
            existing = refused.group
            apply_errors(form, refused.errors)
        except DomainError as refused:
            apply_errors(form, refused.errors)
        else:
            flash(
                _(
                    "Thank you. Your proposal is with sponsor staff, who usually answer within "
                    "two working days. We will tell you when it is approved."
                ),
                "success",
            )
            return redirect(url_for("groups.group", slug=group.slug))
    status = INVALID if form.is_submitted() else 200
    return render_template("groups/propose.html", form=form, existing=existing), status


def _place_for(form) -> Place | None:
    text = (form.place.data or "").strip()
    if not text:
        return None
    try:
        return geocode_place(text)
    except PlaceError as problem:
        raise DomainError({"place": str(problem)}) from None


@bp.get("/proposals")
@login_required
def proposals():
    if not permissions.can_decide(current_user):
        abort(403)
    rows = db.session.scalars(services.proposals()).all()
    return render_template(
        "groups/proposals.html", proposals=rows, button_form=EmptyForm(), refuse_form=RefuseForm()
    )


def _group_or_404(slug: str):
    group = services.find_group(slug)
    if group is None or not permissions.can_see_group(current_user, group):
        abort(404)
    return group


def _staff_only():
    if not permissions.can_decide(current_user):
        abort(403)


def _staff_button(slug: str, action, done, back):
    """A staff button (approve, archive): CSRF checked, the service's refusal shown if any."""
    _staff_only()
    group = _group_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(group, current_user)
    except DomainError as refused:
        flash(refused.errors[""], "warning")
    else:
        flash(done(group), "success")
    return redirect(back(group))


@bp.post("/<slug>/approve")
@login_required
def approve(slug: str):
    return _staff_button(
        slug,
        lambda group, staff: decide_proposal(group, staff, Action.APPROVE_GROUP),
        lambda group: _("“%(name)s” is approved and open.", name=group.name),
        lambda group: url_for("groups.proposals"),
    )


@bp.post("/<slug>/refuse")
@login_required
def refuse(slug: str):
    _staff_only()
    group = _group_or_404(slug)
    form = RefuseForm()
    if not form.validate_on_submit():
        rows = db.session.scalars(services.proposals()).all()
        return render_template(
            "groups/proposals.html",
            proposals=rows,
            button_form=EmptyForm(),
            refuse_form=form,
            refusing=group.id,
        ), INVALID
    try:
        decide_proposal(group, current_user, Action.REFUSE_GROUP, form.note.data)
    except DomainError as refused:
        flash(refused.errors[""], "warning")
    else:
        flash(_("The proposal “%(name)s” is not approved.", name=group.name), "success")
    return redirect(url_for("groups.proposals"))


@bp.post("/<slug>/archive")
@login_required
def archive(slug: str):
    return _staff_button(
        slug,
        services.archive_group,
        lambda group: _("The group is archived."),
        lambda group: url_for("groups.group", slug=group.slug),
    )


# --- a group --------------------------------------------------------------------------------


@bp.get("/<slug>")
def group(slug: str):
    group = _group_or_404(slug)
    number = paging.requested_page()
    readable = permissions.can_read_content(current_user, group)
    page = newest = waiting = None
    if readable:
        stories = services.group_stories(current_user, group).order_by(
            Story.created_at.desc(), Story.id.desc()
        )
        page = paging.window(stories, PER_PAGE, number)
        if number > 1 and not page.items:
            abort(404)
        newest = db.session.scalars(
            services.group_members(current_user, group).limit(WELCOME_SIZE)
        ).all()
        waiting = db.session.scalars(services.waiting_for_support(current_user, group)).all()
    return render_template(
        "groups/group.html",
        group=group,
        readable=readable,
        page=page,
        newest=newest,
        waiting=waiting,
        membership=permissions.membership(current_user, group),
        button_form=EmptyForm(),
    )


@bp.get("/<slug>/members")
def members(slug: str):
    group = _group_or_404(slug)
    if not permissions.can_read_content(current_user, group):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(404)
    page = _page(services.group_members(current_user, group), per_page=50)
    requests = None
    if permissions.can_moderate(current_user, group):
        requests = db.session.scalars(services.pending_requests(group)).all()
    return render_template(
        "groups/members.html",
        group=group,
        page=page,
        requests=requests,
        button_form=EmptyForm(),
    )


@bp.post("/<slug>/join")
@login_required
@limiter.limit(_join_limit, key_func=_member_key)
def join(slug: str):
    group = _group_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_user.is_verified:
        flash(_("Please confirm your email address before you join a group."), "warning")
        return redirect(url_for("auth.unverified"))
    try:
        row = services.join_group(current_user, group)
    except DomainError as refused:
        flash(refused.errors[""], "warning")
        return redirect(url_for("groups.group", slug=group.slug))
    if row.status == "pending":
        flash(_("Your request is sent. A group moderator will answer it."), "success")
    else:
        flash(_("Welcome to “%(name)s”.", name=group.name), "success")
    return redirect(url_for("groups.group", slug=group.slug))


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    group = _group_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.leave_group(current_user, group):
        flash(_("You left “%(name)s”.", name=group.name), "success")
    return redirect(url_for("groups.group", slug=group.slug))


def _moderated_group_or_error(slug: str):
    group = _group_or_404(slug)
    if not permissions.can_moderate(current_user, group):
        abort(403)
    return group


@bp.post("/<slug>/requests/<int:membership_id>/<any(accept, refuse):answer>")
@login_required
def answer_request(slug: str, membership_id: int, answer: str):
    group = _moderated_group_or_error(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    row = services.find_request(group, membership_id)
    if row is None:
        flash(_("This request was answered already or withdrawn."), "info")
        return redirect(url_for("groups.members", slug=group.slug, _anchor="requests"))
    name = row.member.username
    if answer == "accept":
        done = services.accept_request(current_user, row)
        message = _("%(name)s is now a member of the group.", name=name)
    else:
        done = services.refuse_request(current_user, row)
        message = _("The request of %(name)s is declined.", name=name)
    flash(message if done else _("This request was answered already or withdrawn."), "info")
    return redirect(url_for("groups.members", slug=group.slug, _anchor="requests"))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    group = _moderated_group_or_error(slug)
    if group.status not in (GroupStatus.ACTIVE, GroupStatus.PROPOSED):
        abort(404)
    form = EditForm(obj=group)
    if not form.is_submitted():
        form.languages.data = group.language_codes
        form.join_policy.data = group.join_policy
    if form.validate_on_submit():
        services.edit_group(
            group,
            current_user,
            description=form.description.data,
            languages=form.languages.data,
            visibility=form.visibility.data,
            policy=form.join_policy.data,
        )
        flash(_("The group is saved."), "success")
        return redirect(url_for("groups.group", slug=group.slug))
    status = INVALID if form.is_submitted() else 200
    return render_template("groups/edit.html", form=form, group=group), status
