"""Cleaning one answer: type checks, question limits and normalisation per question type."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from organisationsnummer.organisationsnummer import OrganisationsnummerException
from organisationsnummer.organisationsnummer import parse as parse_organisationsnummer
from personnummer.personnummer import PersonnummerException
from personnummer.personnummer import parse as parse_personnummer

from shared.forms.formatting import format_number
from shared.forms.structure import Question, label_of, options_of

# Limits that hold when the definition sets none, so no answer can grow without bound.
DEFAULT_MAX_LENGTH = {"text": 1000, "textarea": 20000, "email": 254}
DEFAULT_MAX_FILES = 10
DEFAULT_MAX_SIZE_MB = 20
DEFAULT_CONTENT_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/tiff",
    "text/plain",
    "application/rtf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)
# Beyond this a float no longer holds every integer exactly.
MAX_NUMBER = Decimal(10) ** 15
MAX_FILE_NAME = 255

_YES = frozenset({"ja", "yes", "true", "1", "on", "j", "y"})
_NO = frozenset({"nej", "no", "false", "0", "off", "n"})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_PHONE = re.compile(r"\+?[0-9][0-9 -]*")
_PERSONNUMMER = re.compile(r"([0-9]{6}|[0-9]{8})[-+]?[0-9]{4}")
_ORGANISATIONSNUMMER = re.compile(r"([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}")
# Thousand separators people type or paste: space, no-break space, thin spaces.
_GROUP_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009"), None)


class FieldError(Exception):
    """One answer breaks a rule; the message is shown beside the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(raw: Any) -> bool:
    """Say whether a raw value means "not answered" ("" from a form, None, [])."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(is_blank(item) for item in raw)
    return False


def required_message(question: Question) -> str:
    """Return the message for a required question left unanswered."""
    kind = question.get("type")
    label = label_of(question)
    if kind in ("single_choice", "multiple_choice"):
        return _("Select %(label)s.", label=label)
    if kind == "yes_no":
        return _("Answer yes or no.")
    if kind == "file":
        return _("Attach %(label)s.", label=label)
    return _("Fill in %(label)s.", label=label)


def clean_value(question: Question, raw: Any, *, today: date) -> Any:
    """Return the normalised answer (None if it turns out empty) or raise FieldError."""
    cleaner = _CLEANERS.get(str(question.get("type")))
    if cleaner is None:
        return None
    return cleaner(question, raw, today)


def _single(raw: Any) -> Any:
    """Unwrap the one-item lists that HTML forms give (`to_dict(flat=False)`)."""
    if isinstance(raw, list | tuple):
        items = [item for item in raw if not is_blank(item)]
        if len(items) != 1:
            raise FieldError(_("Give one answer only."))
        return items[0]
    return raw


def _as_text(raw: Any) -> str | None:
    raw = _single(raw)
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return None


def normalise_text(text: str, *, multiline: bool) -> str:
    """Drop control characters (PostgreSQL refuses NUL), compose å and strip the ends."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        if multiline and char in "\n\t":
            kept.append(char)
        elif unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            kept.append(" " if char.isspace() else "")
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


def _validation(question: Question) -> Mapping[str, Any]:
    return question.get("validation") or {}


def _clean_text(question: Question, raw: Any, today: date) -> str | None:
    text = _as_text(raw)
    if text is None:
        raise FieldError(_("Enter text."))
    kind = str(question.get("type"))
    text = normalise_text(text, multiline=kind == "textarea")
    if not text:
        return None
    if kind == "email":
        text = _email(text)
    _check_text_rules(question, text)
    return text


def _email(text: str) -> str:
    try:
        normalized = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldError(_("Enter a valid e-mail address.")) from None
    return normalized.lower()


def _check_text_rules(question: Question, text: str) -> None:
    rules = _validation(question)
    min_length = rules.get("min_length")
    max_length = rules.get("max_length") or DEFAULT_MAX_LENGTH.get(str(question.get("type")))
    if min_length is not None and len(text) < min_length:
        raise FieldError(_("Enter at least %(min)s characters.", min=format_number(min_length)))
    if max_length is not None and len(text) > max_length:
        raise FieldError(_("Enter at most %(max)s characters.", max=format_number(max_length)))
    pattern = rules.get("pattern")
    if pattern:
        try:
            # Whole-value match, as the HTML pattern attribute does.
            matches = re.fullmatch(pattern, text) is not None
        except re.error:
            matches = True  # check_definition reports a bad pattern to the builder
        if not matches:
            raise FieldError(rules.get("pattern_message") or _("The answer is not in the right format."))


def _decimal(value: int | float) -> Decimal:
    # repr() so that the limit 0.1 means 0.1, not 0.1000000000000000055…
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def parse_number(raw: Any) -> Decimal:
    """Read a number from JSON or from a form ("1 000", "12,5", "−3"); raise FieldError."""
    raw = _single(raw)
    not_a_number = FieldError(_("Enter a number."))
    if isinstance(raw, bool):
        raise not_a_number
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_a_number
        number = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().translate(_GROUP_SPACES).replace("\u2212", "-")
        if "," in text:
            if "." in text or text.count(",") > 1:
                raise not_a_number
            text = text.replace(",", ".")
        if len(text) > 40 or not _NUMBER.fullmatch(text):
            raise not_a_number
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise not_a_number from None
    else:
        raise not_a_number
    if abs(number) > MAX_NUMBER:
        raise FieldError(_("The number is too large."))
    return number


def _clean_number(question: Question, raw: Any, today: date) -> int | float:
    number = parse_number(raw)
    rules = _validation(question)
    decimals = rules.get("decimals")
    places = max(0, -int(number.normalize().as_tuple().exponent))
    if decimals is not None and places > decimals:
        if decimals == 0:
            raise FieldError(_("Enter a whole number."))
        raise FieldError(ngettext("Enter at most %(num)d decimal.", "Enter at most %(num)d decimals.", decimals))
    low, high = rules.get("min"), rules.get("max")
    if low is not None and number < _decimal(low):
        raise FieldError(_("The value must be at least %(min)s.", min=format_number(low)))
    if high is not None and number > _decimal(high):
        raise FieldError(_("The value must be at most %(max)s.", max=format_number(high)))
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def date_limit(limit: Any, today: date) -> date | None:
    """Resolve a date limit of a definition ("today" or ISO); None if unreadable."""
    if limit == "today":
        return today
    try:
        return date.fromisoformat(limit) if _ISO_DATE.fullmatch(str(limit)) else None
    except ValueError:
        return None


def _clean_date(question: Question, raw: Any, today: date) -> str:
    raw = _single(raw)
    invalid = FieldError(_("Enter a valid date (YYYY-MM-DD)."))
    if isinstance(raw, datetime):
        raise invalid
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str) and _ISO_DATE.fullmatch(raw.strip()):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise invalid from None
    else:
        raise invalid
    rules = _validation(question)
    low = date_limit(rules.get("min"), today)
    high = date_limit(rules.get("max"), today)
    if low is not None and value < low:
        raise FieldError(_("The date must be %(min)s or later.", min=low.isoformat()))
    if high is not None and value > high:
        raise FieldError(_("The date must be %(max)s or earlier.", max=high.isoformat()))
    return value.isoformat()


def _clean_phone(question: Question, raw: Any, today: date) -> str:
    text = _as_text(raw)
    invalid = FieldError(_("Enter a valid phone number."))
    if text is None or not _PHONE.fullmatch(text.strip()):
        raise invalid
    text = text.strip()
    digits = re.sub(r"[^0-9]", "", text)
    if not 7 <= len(digits) <= 15:
        raise invalid
    return ("+" if text.startswith("+") else "") + digits


def _clean_personnummer(question: Question, raw: Any, today: date) -> str:
    text = _as_text(raw)
    invalid = FieldError(_("Enter a valid personal identity number (YYYYMMDD-NNNN)."))
    if text is None:
        raise invalid
    text = text.strip().replace(" ", "")
    # The library's \d also accepts Arabic-Indic digits; only 0-9 are real.
    if not _PERSONNUMMER.fullmatch(text):
        raise invalid
    try:
        number = parse_personnummer(text)
    except (PersonnummerException, ValueError):
        raise invalid from None
    return f"{number.full_year}{number.month}{number.day}-{number.num}{number.check}"


def _clean_organisationsnummer(question: Question, raw: Any, today: date) -> str:
    text = _as_text(raw)
    invalid = FieldError(_("Enter a valid organisation number (NNNNNN-NNNN)."))
    if text is None:
        raise invalid
    text = text.strip().replace(" ", "")
    if not _ORGANISATIONSNUMMER.fullmatch(text):
        raise invalid
    try:
        # A sole trader's organisation number is the owner's personnummer; the library
        # accepts it too, and format() gives its ten digits.
        digits = parse_organisationsnummer(text).format(False)
    except (OrganisationsnummerException, PersonnummerException, ValueError):
        raise invalid from None
    return f"{digits[:6]}-{digits[6:]}"


def _choice_value(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return None


def _clean_single_choice(question: Question, raw: Any, today: date) -> str:
    value = _choice_value(_single(raw))
    if value not in {option["value"] for option in options_of(question)}:
        raise FieldError(_("Choose one of the options."))
    return value  # type: ignore[return-value]


def _clean_multiple_choice(question: Question, raw: Any, today: date) -> list[str] | None:
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    chosen = {_choice_value(item) for item in items if not is_blank(item)}
    options = options_of(question)
    if not chosen <= {option["value"] for option in options}:
        raise FieldError(_("Choose among the options."))
    if not chosen:
        return None
    for option in options:
        if option.get("exclusive") and option["value"] in chosen and len(chosen) > 1:
            raise FieldError(_("'%(option)s' cannot be combined with other choices.", option=option["label"]))
    check_choice_count(question, len(chosen))
    return [option["value"] for option in options if option["value"] in chosen]


def check_choice_count(question: Question, count: int) -> None:
    """Raise FieldError if a multiple-choice answer has too few or too many choices."""
    rules = _validation(question)
    low, high = rules.get("min_choices"), rules.get("max_choices")
    if low is not None and count < low:
        raise FieldError(ngettext("Choose at least %(num)d option.", "Choose at least %(num)d options.", low))
    if high is not None and count > high:
        raise FieldError(ngettext("Choose at most %(num)d option.", "Choose at most %(num)d options.", high))


def _clean_yes_no(question: Question, raw: Any, today: date) -> bool:
    raw = _single(raw)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise FieldError(_("Answer yes or no."))


def _clean_file(question: Question, raw: Any, today: date) -> list[dict[str, Any]] | None:
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list | tuple):
        raise FieldError(_("The file information is not valid."))
    files = [_file_descriptor(item) for item in items if not is_blank(item)]
    if not files:
        return None
    limits = question.get("file") or {}
    max_files = limits.get("max_files", DEFAULT_MAX_FILES)
    max_size_mb = limits.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    content_types = limits.get("content_types") or DEFAULT_CONTENT_TYPES
    if len(files) > max_files:
        raise FieldError(
            ngettext(
                "You can attach at most %(num)d file.",
                "You can attach at most %(num)d files.",
                max_files,
            )
        )
    for file in files:
        if file["size"] > max_size_mb * 1024 * 1024:
            raise FieldError(
                _(
                    "The file '%(name)s' is too large (at most %(max)s MB).",
                    name=file["name"],
                    max=format_number(max_size_mb),
                )
            )
        if not content_type_allowed(file["content_type"], content_types):
            raise FieldError(_("The file '%(name)s' is of a type that is not allowed.", name=file["name"]))
    return files


def content_type_allowed(content_type: str, allowed: Any) -> bool:
    """Say whether a content type is in the allowed list ("image/*" allows every image)."""
    family = content_type.split("/", 1)[0]
    return any(pattern in (content_type, f"{family}/*") for pattern in allowed)


def _file_descriptor(item: Any) -> dict[str, Any]:
    """Check and normalise one file: {"document_id"?, "name", "size", "content_type"}."""
    invalid = FieldError(_("The file information is not valid."))
    if not isinstance(item, Mapping):
        raise invalid
    name, size = item.get("name"), item.get("size")
    content_type, document_id = item.get("content_type"), item.get("document_id")
    if not isinstance(name, str) or not isinstance(content_type, str):
        raise invalid
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise invalid
    if document_id is not None and (
        not isinstance(document_id, int) or isinstance(document_id, bool) or document_id < 1
    ):
        raise invalid
    name = normalise_text(name, multiline=False)
    # "text/plain; charset=utf-8" is text/plain.
    content_type = content_type.split(";", 1)[0].strip().lower()
    if not name or len(name) > MAX_FILE_NAME or "/" not in content_type:
        raise invalid
    descriptor: dict[str, Any] = {"name": name, "size": size, "content_type": content_type}
    if document_id is not None:
        descriptor = {"document_id": document_id, **descriptor}
    return descriptor


_CLEANERS: dict[str, Callable[[Question, Any, date], Any]] = {
    "text": _clean_text,
    "textarea": _clean_text,
    "email": _clean_text,
    "number": _clean_number,
    "date": _clean_date,
    "phone": _clean_phone,
    "personnummer": _clean_personnummer,
    "organisationsnummer": _clean_organisationsnummer,
    "single_choice": _clean_single_choice,
    "multiple_choice": _clean_multiple_choice,
    "yes_no": _clean_yes_no,
    "file": _clean_file,
}
