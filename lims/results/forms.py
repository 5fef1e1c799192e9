"""Forms of the reviewer's worklist."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason for sending it back"),
                         validators=[DataRequired(_l("Give the reason for the retest.")), Length(max=200)])
