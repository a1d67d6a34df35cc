"""Forms of the login pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired


class TestLoginForm(FlaskForm):
    citizen = RadioField(
        _l("Log in as"), coerce=int, validators=[InputRequired(message=_l("Choose a person to log in as."))]
    )
    submit = SubmitField(_l("Log in"))
