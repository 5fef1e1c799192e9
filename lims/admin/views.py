"""Administration pages: list, create and edit reference data and users."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.admin.forms import OverrideForm
from lims.admin.sections import SECTIONS
from lims.errors import Forbidden, LimsError
from lims.extensions import db
from lims.inputs import parse_id
from lims.listing import Chip, page_number, paginate
from lims.models import TestItem
from lims.reference import services as reference

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


def _section(key):
    section = SECTIONS.get(key)
    if section is None:
        abort(404)
    return section


@bp.route("/")
@requires("reference.manage")
def index():
    return render_template("admin/index.html", sections=SECTIONS.values())


@bp.route("/orgs/load", methods=["GET", "POST"])
@requires("reference.manage")
def load_tree():
    """Organisations, sites, stalls and stations from one workbook: checked whole, then all
    written or — with any problem, each listed by sheet, row and column — nothing."""
    from lims.admin.forms import TreeLoadForm
    from lims.orgs.bulk import TreeFileInvalid, load_tree as load

    form = TreeLoadForm()
    problems, status = [], 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                result = load(web_actor(), form.file.data.read())
        except TreeFileInvalid as exc:
            problems, status = exc.problems, 422
        else:
            flash(result.summary(), "success")
            return redirect(url_for("admin.listing", key="orgs"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/tree_load.html", form=form, problems=problems), status


@bp.route("/orgs/template.xlsx")
@requires("reference.manage")
def tree_template():
    """The blank workbook for loading the tree, with example rows and instructions."""
    from lims.reporting.views import xlsx_response
    from reports.excel.tree_template import write_tree_template

    return xlsx_response(write_tree_template(), "org-tree-template.xlsx")


@bp.route("/<key>/")
@requires("reference.manage")
def listing(key):
    section = _section(key)
    if getattr(section, "tree", False):
        return render_template("admin/tree.html", section=section, rows=section.rows(web_actor()))
    q = request.args.get("q", "").strip()
    # Only the section's own filters are carried along (into links too): an unknown
    # parameter such as ``key`` must not clash with the route's own arguments.
    args = {k: v for k, v in request.args.items() if k in {"q", *(arg for arg, *_ in section.filters)} and v}
    for arg, *_ in section.filters:
        parse_id(args.get(arg), arg)
    page = paginate(section.query(q, args), page_number(request.args.get("page")), PER_PAGE, {"key": key, **args})
    filters = [(arg, label, choices()) for arg, label, choices, _col in section.filters]
    chips = [Chip(("q",), gettext("Search"), q)] if q else []
    for arg, label, choices in filters:
        if args.get(arg):
            chips.append(Chip((arg,), str(label), next((str(text) for value, text in choices
                                                        if str(value) == args[arg]), f"#{args[arg]}")))
    return render_template("admin/list.html", section=section, page=page, q=q, filters=filters, args=args,
                           chips=chips, may_change=functools.partial(section.may_change, web_actor()))


def _apply_errors(form, exc: LimsError):
    placed = False
    for field, messages in exc.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            placed = True
    if not placed:
        form.form_errors.append(str(exc.message))


def _require_change(section, obj=None) -> None:
    """A bound administrator sees the deployment's reference data but does not change it: 403
    before any form (the services refuse the same)."""
    if not section.may_change(web_actor(), obj):
        raise Forbidden(gettext("You may see this but not change it: only the deployment's administrator can."))


@bp.route("/<key>/new", methods=["GET", "POST"])
@bp.route("/<key>/<int:obj_id>", methods=["GET", "POST"])
@requires("reference.manage")
def edit(key, obj_id=None):
    section = _section(key)
    obj = None
    if obj_id is not None:
        obj = section.get(obj_id)
        if obj is None:
            abort(404)
    _require_change(section, obj)
    form = section.make_form(obj)
    if obj is None and request.method == "GET":
        for arg, *_ in section.filters:  # e.g. "new stall" from a site's list
            field = getattr(form, f"{arg}_id", None)
            if field is not None and request.args.get(arg):
                field.data = parse_id(request.args[arg], arg)
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                saved = section.save(web_actor(), obj, form)
        except Forbidden:
            raise
        except LimsError as exc:
            _apply_errors(form, exc)
            status = 422
        else:
            flash(gettext("Saved: %(name)s", name=section.label(saved)), "success")
            return redirect(url_for("admin.listing", key=key))
    elif form.is_submitted():
        status = 422
    override_form = None
    if isinstance(obj, TestItem):
        override_form = OverrideForm(prefix="ov")
        override_form.category.choices = [(c.code, c.path) for c in reference.list_categories()]
    return render_template("admin/form.html", section=section, form=form, obj=obj,
                           override_form=override_form), status


@bp.route("/items/<int:obj_id>/overrides", methods=["POST"])
@requires("reference.manage")
def add_override(obj_id):
    item = db.session.get(TestItem, obj_id) or abort(404)
    _require_change(_section("items"), item)
    form = OverrideForm(prefix="ov")
    form.category.choices = [(c.code, c.path) for c in reference.list_categories()]
    if form.validate_on_submit():
        try:
            reference.set_override(web_actor(), item, form.category.data, cutoff=form.cutoff.data,
                                   limit_value=form.limit_value.data, a=form.a.data, b=form.b.data,
                                   note=form.note.data or None)
        except LimsError as exc:  # refused before anything changed
            flash(str(exc.message), "danger")
        else:
            flash(gettext("Override saved."), "success")
    else:
        for field in form:
            for err in field.errors:
                flash(f"{field.label.text}: {err}", "danger")
    return redirect(url_for("admin.edit", key="items", obj_id=item.id))


@bp.route("/items/<int:obj_id>/overrides/<int:override_id>/delete", methods=["POST"])
@requires("reference.manage")
def delete_override(obj_id, override_id):
    item = db.session.get(TestItem, obj_id) or abort(404)
    _require_change(_section("items"), item)
    reference.remove_override(web_actor(), item, override_id)
    flash(gettext("Override removed."), "success")
    return redirect(url_for("admin.edit", key="items", obj_id=item.id))
