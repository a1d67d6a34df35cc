"""Users, roles and one's own profile: FAB's security screens with the columns and
Swedish labels Etjänst needs (the security manager in backoffice/security.py uses them)."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.views import (
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    UserInfoEditView,
)
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from shared import roles

ROLE_LABELS = {
    roles.ADMIN: _l("Administrator"),
    roles.BUILDER: _l("E-service builder"),
    roles.HANDLER: _l("Case handler"),
}

_PHONE = r"^\+?[0-9][0-9 \-]{5,20}$"
# How the user administration names the columns StaffUser adds to FAB's user.
_STAFF_LABELS = {
    "title": _l("Job title"),
    "mobile_phone": _l("Mobile phone"),
    "notify_by_email": _l("Notifications by e-mail"),
    "notify_by_sms": _l("Notifications by SMS"),
}
_STAFF_DESCRIPTIONS = {
    "title": _l("Shown to colleagues, e.g. Skolskjutshandläggare."),
    "mobile_phone": _l("For notifications by SMS, e.g. 070-123 45 67."),
    "email": _l("Notifications by e-mail are sent to this address."),
    "notify_by_email": _l("E-mail about new cases, messages and assignments."),
    "notify_by_sms": _l("SMS about new cases, messages and assignments (needs a mobile phone number)."),
}


def role_label(name: str) -> str:
    """The Swedish (translated) name of a role; custom roles keep their own name."""
    return str(ROLE_LABELS.get(name, name))


def _yes_no(value: object) -> str:
    return str(_l("Yes") if value else _l("No"))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _minutes(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _role_names(value: list) -> str:
    return ", ".join(sorted(role_label(role.name) for role in value or []))


def _sms_needs_phone(form, field) -> None:
    if field.data and not (form.mobile_phone.data or "").strip():
        raise ValidationError(_l("Enter a mobile phone number to be notified by SMS."))


def _roles_required(form, field) -> None:
    if not field.data:
        raise ValidationError(_l("Choose at least one role."))


class StaffUserInfoForm(DynamicForm):
    """What a staff member edits about themself (Profil → Redigera)."""

    first_name = StringField(_l("First Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget())
    last_name = StringField(_l("Last Name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget())
    title = StringField(
        _STAFF_LABELS["title"],
        validators=[Optional(), Length(max=120)],
        widget=BS3TextFieldWidget(),
        description=_STAFF_DESCRIPTIONS["title"],
    )
    mobile_phone = StringField(
        _STAFF_LABELS["mobile_phone"],
        validators=[Optional(), Regexp(_PHONE, message=_l("Enter a phone number with digits only."))],
        widget=BS3TextFieldWidget(),
        description=_STAFF_DESCRIPTIONS["mobile_phone"],
    )
    notify_by_email = BooleanField(_l("Notify me by e-mail"), description=_STAFF_DESCRIPTIONS["notify_by_email"])
    notify_by_sms = BooleanField(
        _l("Notify me by SMS"), validators=[_sms_needs_phone], description=_STAFF_DESCRIPTIONS["notify_by_sms"]
    )


class StaffUserInfoEditView(UserInfoEditView):
    form = StaffUserInfoForm


class StaffUserView(UserDBModelView):
    """Security → Användare: FAB's user screens with the columns the domain adds."""

    label_columns = {**UserDBModelView.label_columns, **_STAFF_LABELS}
    # Lists and pages show Ja/Nej, nothing for a missing value, and the roles' Swedish names.
    formatters_columns = {
        "active": _yes_no,
        "notify_by_email": _yes_no,
        "notify_by_sms": _yes_no,
        "title": _text,
        "mobile_phone": _text,
        "last_login": _minutes,
        "created_on": _minutes,
        "changed_on": _minutes,
        "roles": _role_names,
    }
    description_columns = {**UserDBModelView.description_columns, **_STAFF_DESCRIPTIONS}
    list_columns = ["first_name", "last_name", "username", "title", "email", "active", "roles"]
    search_columns = ["first_name", "last_name", "username", "email", "title", "active", "roles"]
    # FAB's own user groups (ab_group) are left out: handler groups are the domain's.
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "title",
        "email",
        "mobile_phone",
        "notify_by_email",
        "notify_by_sms",
        "active",
        "roles",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "title",
        "email",
        "mobile_phone",
        "notify_by_email",
        "notify_by_sms",
        "active",
        "roles",
    ]
    # FAB's converter makes a non-nullable boolean "required", so a box could never be
    # unticked: these two are plain checkboxes.
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "notify_by_email": BooleanField(
            _STAFF_LABELS["notify_by_email"], description=_STAFF_DESCRIPTIONS["notify_by_email"], default=True
        ),
        "notify_by_sms": BooleanField(
            _STAFF_LABELS["notify_by_sms"],
            validators=[_sms_needs_phone],
            description=_STAFF_DESCRIPTIONS["notify_by_sms"],
        ),
    }
    edit_form_extra_fields = {
        "notify_by_email": add_form_extra_fields["notify_by_email"],
        "notify_by_sms": add_form_extra_fields["notify_by_sms"],
    }
    validators_columns = {
        "roles": [_roles_required],
        "mobile_phone": [Optional(), Regexp(_PHONE, message=_l("Enter a phone number with digits only."))],
    }
    _personal = (
        _l("Personal Info"),
        {"fields": ["first_name", "last_name", "title", "email", "mobile_phone"], "expanded": True},
    )
    _notifications = (_l("Notifications"), {"fields": ["notify_by_email", "notify_by_sms"], "expanded": True})
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        _personal,
        _notifications,
        (
            _l("Audit Info"),
            {
                "fields": ["last_login", "fail_login_count", "created_on", "created_by", "changed_on", "changed_by"],
                "expanded": False,
            },
        ),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "roles"]}),
        _personal,
        _notifications,
    ]


# FAB leaves some column labels of its security screens untranslated; these name them.
class StaffRoleView(RoleModelView):
    label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}


class StaffGroupView(UserGroupModelView):
    label_columns = {
        "name": _l("Name"),
        "label": _l("Label"),
        "description": _l("Description"),
        "users": _l("Users"),
        "roles": _l("Roles"),
    }


class StaffPermissionViewView(PermissionViewModelView):
    label_columns = {**PermissionViewModelView.label_columns, "role": _l("Roles")}
