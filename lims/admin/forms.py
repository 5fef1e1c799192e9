"""Forms of the administration pages. Field names match the model attributes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lims import labels
from lims.inputs import SaneYear
from lims.rules.permissions import ROLES


def _choices(mapping):
    return [(k, v) for k, v in mapping.items()]


def _optional_choice(choices):
    return [("", "—")] + list(choices)


class SiteForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32),
                                               Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=_choices(labels.SITE_KIND_LABELS), validators=[DataRequired()])
    org = SelectField(_l("Jurisdiction (district or supervision office)"), validators=[Optional()])
    district = StringField(_l("District"), validators=[Optional(), Length(max=64)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Complaint phone"), validators=[Optional(), Length(max=32)])
    planned_monthly_batches = IntegerField(_l("Planned batches per month"),
                                           validators=[Optional(), NumberRange(min=0, max=100000)])
    active = BooleanField(_l("Active"), default=True)


class StallForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int, validators=[DataRequired()])
    code = StringField(_l("Stall number"), validators=[DataRequired(), Length(max=16)])
    operator = StringField(_l("Operator"), validators=[Optional(), Length(max=32)])
    licence = StringField(_l("ID or credit code"), validators=[Optional(), Length(max=32)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    active = BooleanField(_l("Active"), default=True)


class EventForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    kind = SelectField(_l("Kind"), choices=_choices(labels.EVENT_KIND_LABELS), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    organiser = StringField(_l("Host or organiser"), validators=[Optional(), Length(max=100)])
    chef = StringField(_l("Chef"), validators=[Optional(), Length(max=32)])
    starts_on = DateField(_l("First day"), validators=[DataRequired(), SaneYear(2)])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(), SaneYear(2)])
    tables = IntegerField(_l("Tables"), validators=[Optional(), NumberRange(min=0)])
    people = IntegerField(_l("People served"), validators=[Optional(), NumberRange(min=0)])
    site_id = SelectField(_l("Site"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    venues = TextAreaField(_l("Venues"), validators=[Optional(), Length(max=2000)],
                           description=_l("One per line: name | address"))
    menu = TextAreaField(_l("Menu"), validators=[Optional(), Length(max=2000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class StationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=_choices(labels.STATION_KIND_LABELS), validators=[DataRequired()])
    org = SelectField(_l("Testing organisation"), validators=[Optional()])
    served = SelectMultipleField(_l("Sites it serves"), description=_l("A van or a kit serves several markets."))
    organisation = StringField(_l("Organisation (name printed on test reports)"), validators=[Optional(), Length(max=100)],
                               description=_l("Empty: the testing organisation's name."))
    site_id = SelectField(_l("Site"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32),
                                               Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=_choices(labels.ORG_KIND_LABELS), validators=[DataRequired()])
    parent = SelectField(_l("Belongs to"), validators=[Optional()],
                         description=_l("Moving a node moves everything below it."))
    issuer_name = StringField(_l("Issuing unit printed on reports"), validators=[Optional(), Length(max=100)],
                              description=_l("Empty: the name."))
    seal_text = StringField(_l("Seal text"), validators=[Optional(), Length(max=100)])
    compiled_by = StringField(_l("Compiled by"), validators=[Optional(), Length(max=32)])
    reviewed_by = StringField(_l("Reviewed by"), validators=[Optional(), Length(max=32)])
    signed_by = StringField(_l("Signed off by"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("Active"), default=True)


class TreeLoadForm(FlaskForm):
    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired()])


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    licence = StringField(_l("Licence or credit code"), validators=[Optional(), Length(max=32)])


class TestItemForm(FlaskForm):
    __test__ = False
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=100)])
    analyte = StringField(_l("Analyte"), validators=[Optional(), Length(max=100)])
    principle = SelectField(_l("Principle"), choices=_choices(labels.PRINCIPLE_LABELS))
    method = StringField(_l("Method standard"), validators=[Optional(), Length(max=64)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=16)])
    rule = SelectField(_l("Decision rule"), choices=_choices(labels.RULE_LABELS))
    cutoff = DecimalField(_l("Inhibition cut-off (%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    control_min = DecimalField(_l("Minimum control ΔA0"), validators=[Optional(), NumberRange(min=0)])
    gold_mode = SelectField(_l("Reading mode"), choices=_optional_choice(_choices(labels.GOLD_MODE_LABELS)), default="")
    c_min = DecimalField(_l("C line minimum"), validators=[Optional(), NumberRange(min=0)])
    a = DecimalField(_l("A (at or below: positive)"), validators=[Optional(), NumberRange(min=0)])
    b = DecimalField(_l("B (at or above: negative)"), validators=[Optional(), NumberRange(min=0)])
    limit_value = DecimalField(_l("Limit"), validators=[Optional(), NumberRange(min=0)])
    limit_sign = SelectField(_l("Negative when the value is"), choices=[("", "—"), ("<=", "≤"), ("<", "<")], default="")
    detection_limit = DecimalField(_l("Detection limit"), validators=[Optional(), NumberRange(min=0)])
    banned = BooleanField(_l("Banned substance"))
    legal_limit = StringField(_l("Legal limit (for context)"), validators=[Optional(), Length(max=100)])
    needs_pretreatment_for = StringField(_l("Foods needing heat pre-treatment"), validators=[Optional(), Length(max=100)])
    aliases = StringField(_l("Names in instrument files"), validators=[Optional(), Length(max=500)],
                          description=_l("Separate with commas"))
    categories = SelectMultipleField(_l("Applies to food categories"))
    verified = BooleanField(_l("Verified against the kit's instructions"))
    active = BooleanField(_l("Active"), default=True)


class OverrideForm(FlaskForm):
    category = SelectField(_l("Food category"), validators=[DataRequired()])
    cutoff = DecimalField(_l("Cut-off"), validators=[Optional(), NumberRange(min=0, max=100)])
    limit_value = DecimalField(_l("Limit"), validators=[Optional(), NumberRange(min=0)])
    a = DecimalField("A", validators=[Optional(), NumberRange(min=0)])
    b = DecimalField("B", validators=[Optional(), NumberRange(min=0)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ReagentLotForm(FlaskForm):
    item_id = SelectField(_l("Test item"), coerce=int, validators=[DataRequired()])
    holder = SelectField(_l("Held by"), validate_choice=False, default="")  # a testing organisation's code
    lot = StringField(_l("Lot number"), validators=[DataRequired(), Length(max=32)])
    maker = StringField(_l("Maker"), validators=[Optional(), Length(max=100)])
    expires_on = DateField(_l("Expires on"), validators=[DataRequired(), SaneYear(10)])
    received_on = DateField(_l("Received on"), validators=[Optional(), SaneYear()])
    mode = SelectField(_l("Reading mode"), choices=_optional_choice(_choices(labels.GOLD_MODE_LABELS)), default="")
    c_min = DecimalField(_l("C line minimum"), validators=[Optional(), NumberRange(min=0)])
    a = DecimalField(_l("A (at or below: positive)"), validators=[Optional(), NumberRange(min=0)])
    b = DecimalField(_l("B (at or above: negative)"), validators=[Optional(), NumberRange(min=0)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Active"), default=True)


class InstrumentForm(FlaskForm):
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=64)])
    model = StringField(_l("Model"), validators=[DataRequired(), Length(max=64)])
    maker = StringField(_l("Maker"), validators=[Optional(), Length(max=100)])
    channels = IntegerField(_l("Channels"), default=1, validators=[DataRequired(), NumberRange(min=1, max=96)])
    station_id = SelectField(_l("Station"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    last_verified_on = DateField(_l("Last verification"), validators=[Optional(), SaneYear()])
    active = BooleanField(_l("Active"), default=True)


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=2, max=32),
                                                        Regexp(r"^[A-Za-z0-9_.-]+$",
                                                               message=_l("Letters, digits, dot, dash or underscore."))])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=32)])
    role = SelectField(_l("Role"), choices=[(r, labels.ROLE_LABELS[r]) for r in ROLES])
    sites = SelectMultipleField(_l("Sites (market managers)"))
    orgs = SelectMultipleField(_l("Organisations (regulators, administrators)"),
                               description=_l("They see the organisation's whole subtree. An administrator bound to "
                                              "none manages the whole deployment."))
    stations = SelectMultipleField(_l("Stations (technicians, reviewers)"),
                                   description=_l("They see and record only the sites these stations serve."))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=[("", "—"), ("zh_CN", "中文"), ("en", "English")], default="")
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=10, max=200)],
                             description=_l("At least 10 characters, not a commonly used password. "
                                            "Leave empty to keep the current password."))
    active = BooleanField(_l("Active"), default=True)
