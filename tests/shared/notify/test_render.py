"""The safe renderer for builders' notification texts, and the standard texts."""

from __future__ import annotations

import pytest

from shared.models import NotificationEvent
from shared.notify import PLACEHOLDERS, check_template, render, standard_text

VALUES = {"arendenummer": 17, "etjanst": "Skolskjuts", "namn": "Maria", "lank": "https://x/1", "meddelande": None}


def test_known_placeholders_are_replaced():
    assert render("Ärende {arendenummer} i {etjanst}: {lank}", VALUES) == "Ärende 17 i Skolskjuts: https://x/1"
    assert render("[{meddelande}]", VALUES) == "[]"


@pytest.mark.parametrize(
    "text",
    [
        "{__class__}",
        "{0.__init__}",
        "{okand}",
        "{etjanst.__class__}",
        "{0}",
        "{",
        "}",
        "{}",
        "{{arendenummer}}x",
        "{namn!r}",
        "{namn:>10}",
        "%(namn)s",
    ],
)
def test_anything_else_stays_as_written_and_never_fails(text):
    rendered = render(text, VALUES)
    assert "__" not in rendered or rendered == text
    assert "class '" not in rendered and "method-wrapper" not in rendered
    assert rendered in (text, text.replace("{arendenummer}", "17"))


def test_values_are_inserted_once_not_interpreted():
    values = dict(VALUES, namn="{lank} {__class__} {0.__init__}")
    assert render("Hej {namn}, {lank}", values) == "Hej {lank} {__class__} {0.__init__}, https://x/1"


def test_check_template_lists_the_unknown_placeholders_once():
    text = "Hej {namn}! {arendenr} {__class__} {0.__init__} {arendenr} {etjanst}"
    assert check_template(text) == ["{arendenr}", "{__class__}", "{0.__init__}"]
    assert check_template("Ärende {arendenummer}") == []
    assert check_template(None) == []


@pytest.mark.parametrize("event", list(NotificationEvent))
@pytest.mark.parametrize("audience", ["applicant", "handler"])
def test_every_event_has_a_standard_text_using_known_placeholders(event, audience):
    text = standard_text(event, audience)
    assert text.subject and text.body and text.sms
    for part in (text.subject, text.body, text.sms):
        assert check_template(part) == []
    assert "{arendenummer}" in text.subject
    assert set(PLACEHOLDERS) >= {"arendenummer", "etjanst", "status", "lank", "handlaggare", "namn", "meddelande"}


@pytest.mark.parametrize(
    "text",
    [
        "{0.__class__}",
        "{{ }}",
        "{{ 7*7 }}",
        "{{ etjanst }}",
        "{% for x in y %}{% endfor %}",
        "%(x)s",
        "%(namn)s",
        "${7*7}",
    ],
)
def test_template_code_of_any_kind_is_never_run(text):
    values = dict(VALUES, x="körd")
    assert render(text, values) == text
    assert render(f"Hej {{namn}}! {text}", values) == f"Hej Maria! {text}"


@pytest.mark.parametrize(
    "text, unknown",
    [
        ("{0.__class__}", ["{0.__class__}"]),
        ("{{ 7*7 }}", ["{ 7*7 }"]),
        ("Ärende {arendenummer}, {Arendenummer}", ["{Arendenummer}"]),  # placeholders are lower case
        ("%(x)s", []),  # no braces: plain text, shown as written
    ],
)
def test_validation_names_each_unknown_placeholder(text, unknown):
    assert check_template(text) == unknown
