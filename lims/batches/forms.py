"""Forms for batches, results and the follow-up of positives."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, SelectField, SelectMultipleField,
                     StringField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims import labels
from lims.inputs import SaneYear


class LocalDateTimeField(StringField):
    """A local date and time typed as ``2026-11-20 09:31`` (or the browser's picker format)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        from lims.i18n import parse_local
        from lims.inputs import DateOutOfRange

        self.parsed = None
        if self.data:
            try:
                self.parsed = parse_local(self.data)
            except DateOutOfRange:
                raise
            except ValueError:
                self.parsed = None
                raise ValueError(_l("Use the form 2026-11-20 09:31."))


class BatchForm(FlaskForm):
    site = SelectField(_l("Site"), validators=[DataRequired()])
    stall = StringField(_l("Stall number"), validators=[Optional(), Length(max=16)])
    event = SelectField(_l("Event"), validators=[Optional()])
    code = StringField(_l("Label code"), validators=[Optional(), Length(min=4, max=32)],
                       description=_l("Leave empty to have one made"))
    food = StringField(_l("Food"), validators=[DataRequired(), Length(max=32)])
    category = SelectField(_l("Food category"), validators=[Optional()])
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=100)])
    origin = StringField(_l("Origin"), validators=[Optional(), Length(max=100)])
    quantity_kg = DecimalField(_l("Quantity (kg)"), validators=[Optional(), NumberRange(min=0)])
    purchase_date = DateField(_l("Purchase date"), validators=[Optional(), SaneYear()])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=64)])
    sampled_at = LocalDateTimeField(_l("Sampled at"), validators=[DataRequired()])
    tests = SelectMultipleField(_l("Tests"), description=_l("Empty: the usual tests for the food's category"))
    confirm_no_tests = BooleanField(_l("Register it without any test (no test applies to this food)"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ResultForm(FlaskForm):
    item = SelectField(_l("Test item"), validators=[DataRequired()])
    value = StringField(_l("Reading"), validators=[Optional(), Length(max=32)],
                        description=_l("A number, or a word: 阴性, 阳性, 未检出…"))
    control_delta = StringField(_l("Control ΔA0"), validators=[Optional(), Length(max=16)])
    sample_delta = StringField(_l("Sample ΔAt"), validators=[Optional(), Length(max=16)])
    c_line = StringField(_l("C line"), validators=[Optional(), Length(max=16)])
    t_line = StringField(_l("T line"), validators=[Optional(), Length(max=16)])
    tc_ratio = StringField("T/C", validators=[Optional(), Length(max=16)])
    reagent_lot = SelectField(_l("Reagent lot"), validators=[Optional()])
    instrument = SelectField(_l("Instrument"), validators=[Optional()])
    instrument_word = StringField(_l("Instrument's verdict"), validators=[Optional(), Length(max=32)])
    pretreated = BooleanField(_l("Heat pre-treatment applied"))
    tested_at = LocalDateTimeField(_l("Tested at"), validators=[DataRequired()])
    confirm_warnings = BooleanField(_l("I confirm the warnings"))
    confirm_positive = BooleanField(_l("I confirm this positive"))


class CorrectionForm(ResultForm):
    reason = StringField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=200)])
    row_version = HiddenField()


class ReviewForm(FlaskForm):
    note = StringField(_l("Review note"), validators=[Optional(), Length(max=200)])
    result_ids = SelectMultipleField(_l("Results"), coerce=int, validate_choice=False)


class NotifyForm(FlaskForm):
    notified_at = LocalDateTimeField(_l("Seller notified at"), validators=[DataRequired()])
    person = StringField(_l("Who was told"), validators=[Optional(), Length(max=32)])
    row_version = HiddenField()


class ObjectionForm(FlaskForm):
    requested_at = LocalDateTimeField(_l("Objection received at"), validators=[DataRequired()])
    applicant = StringField(_l("Applicant"), validators=[Optional(), Length(max=64)])
    lab = StringField(_l("Laboratory"), validators=[DataRequired(), Length(max=100)])
    method = StringField(_l("Retest method (not a rapid method)"), validators=[DataRequired(), Length(max=100)])
    row_version = HiddenField()


class LabResultForm(FlaskForm):
    lab = StringField(_l("Laboratory"), validators=[DataRequired(), Length(max=100)])
    report_no = StringField(_l("Report number"), validators=[DataRequired(), Length(max=64)])
    # No preselected verdict: releasing a stopped batch must be a choice, never a default.
    outcome = SelectField(_l("Laboratory result"), default="",
                          choices=[("", _l("— choose —")), ("negative", _l("Negative: release the batch")),
                                   ("positive", _l("Positive: the result stands"))],
                          validators=[DataRequired(_l("Choose the laboratory result."))])
    value = DecimalField(_l("Value"), validators=[Optional()])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=16)])
    fee = DecimalField(_l("Fee (yuan)"), validators=[Optional(), NumberRange(min=0)])
    received_at = LocalDateTimeField(_l("Received at"), validators=[DataRequired()])
    row_version = HiddenField()


class DisposalForm(FlaskForm):
    # No preselected action: "stop sale" never reduces what is left to dispose of.
    action = SelectField(_l("Action"), default="",
                         choices=[("", _l("— choose —")), *labels.DISPOSAL_ACTION_LABELS.items()],
                         validators=[DataRequired(_l("Choose the disposal action."))])
    # places=None: the remaining kilograms are shown as written ("12", "2.5"), not padded ("12.00").
    quantity_kg = DecimalField(_l("Quantity (kg)"), places=None, validators=[InputRequired(), NumberRange(min=0)])
    done_at = LocalDateTimeField(_l("Done at"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=100)])
    method = StringField(_l("Disposal method"), validators=[Optional(), Length(max=100)])
    done_by = StringField(_l("Done by"), validators=[Optional(), Length(max=32)])
    supervisor = StringField(_l("Supervised by"), validators=[Optional(), Length(max=32)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    photos = MultipleFileField(_l("Photos"), validators=[FileAllowed(["jpg", "jpeg", "png"], _l("JPEG or PNG only."))])
    row_version = HiddenField()


class InformRegulatorForm(FlaskForm):
    informed_at = LocalDateTimeField(_l("Regulator informed at"), validators=[DataRequired()])


class RoundForm(FlaskForm):
    site = SelectField(_l("Site"), validators=[DataRequired()])
    station = SelectField(_l("Station"), validators=[Optional()])
    event = SelectField(_l("Event"), validators=[Optional()])
    day = DateField(_l("Day"), validators=[DataRequired(), SaneYear()])


class BatchCorrectionForm(FlaskForm):
    """Correcting a batch's registration data: the values as they should have been, and why."""

    stall = StringField(_l("Stall number"), validators=[Optional(), Length(max=16)])
    food = StringField(_l("Food"), validators=[DataRequired(), Length(max=32)])
    category = SelectField(_l("Food category"), validators=[Optional()])
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=100)])
    origin = StringField(_l("Origin"), validators=[Optional(), Length(max=100)])
    quantity_kg = DecimalField(_l("Quantity (kg)"), places=None, validators=[Optional(), NumberRange(min=0)])
    purchase_date = DateField(_l("Purchase date"), validators=[Optional(), SaneYear()])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=64)])
    sampled_at = LocalDateTimeField(_l("Sampled at"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    reason = StringField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=200)],
                         description=_l("Kept in the audit trail with the old and the new values"))
    row_version = HiddenField()


class VoidForm(FlaskForm):
    reason = StringField(_l("Why is this batch voided?"), validators=[DataRequired(), Length(max=200)],
                         description=_l("For example: registered twice, or registered at the wrong market"))
    row_version = HiddenField()


class ChangeDecisionForm(FlaskForm):
    note = StringField(_l("Note (required to reject)"), validators=[Optional(), Length(max=200)])
