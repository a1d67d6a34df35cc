"""A whole multi-step form with the keyboard only (issue 4 item 7, WCAG 2.1.1 and 2.4.7): from the
e-service's start page through both steps and the summary to the receipt, with Tab, typing,
Space and the arrow keys for choices and Enter for the buttons. Each field and button is reached
in the order the page shows it, and the focus is visible wherever it is."""

from __future__ import annotations

import re

from shared.db import db
from shared.models import Case
from tests import factories

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

DEFINITION = {
    "steps": [
        {
            "id": "barnet",
            "title": "Barnet",
            "questions": [
                {"id": "namn", "type": "text", "label": "Barnets namn", "required": True},
                {
                    "id": "grund",
                    "type": "single_choice",
                    "display": "radio",
                    "label": "Grund för specialkost",
                    "required": True,
                    "options": [
                        {"value": "medicinsk", "label": "Medicinska skäl"},
                        {"value": "etisk", "label": "Etiska skäl"},
                    ],
                },
                {
                    "id": "allergi",
                    "type": "textarea",
                    "label": "Beskriv allergin",
                    "required": True,
                    "visible_if": {"question": "grund", "equals": "medicinsk"},
                },
            ],
        },
        {
            "id": "kost",
            "title": "Kosten",
            "questions": [
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Vilken kost behövs?",
                    "required": True,
                    "options": [
                        {"value": "gluten", "label": "Glutenfri"},
                        {"value": "laktos", "label": "Laktosfri"},
                    ],
                },
                {"id": "start", "type": "date", "label": "Från och med", "required": True},
            ],
        },
    ]
}

# What the focused element is: its id, else its role and text ("button:Nästa", "a:Hoppa till innehållet").
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  if (el.id) return el.id;
  return el.tagName.toLowerCase() + ":" + el.textContent.trim().replace(/\\s+/g, " ");
}"""

# Whether the focused element shows it: :focus-visible matches, and an outline or a ring is drawn.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  // A date field's calendar button is a stop of its own inside the field, ringed by Chromium itself.
  if (el.matches("input[type=date]:focus-within:not(:focus)")) return true;
  if (!el.matches(":focus-visible")) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return (outline || ring) && box.width > 0 && box.height > 0;
}"""


def focused(page) -> str:
    return page.evaluate(DESCRIBE_FOCUS)


def press(page, key: str, expected: str | None = None) -> str:
    """Press a key; the focus must then be on ``expected`` (when given) and be visible."""
    page.keyboard.press(key)
    now = focused(page)
    if expected is not None:
        assert now == expected, f"after {key} the focus is on {now!r}, not {expected!r}"
    if now != "body":
        assert page.evaluate(FOCUS_SHOWN), f"the focus on {now!r} is not visible"
    return now


def tab_to(page, target: str, limit: int = 40) -> list[str]:
    """Tab forward until ``target`` has the focus; the stops on the way (the target last)."""
    stops: list[str] = []
    for _ in range(limit):
        stops.append(press(page, "Tab"))
        if stops[-1] == target:
            return stops
    raise AssertionError(f"Tab never reached {target!r}; the stops were {stops}")


def type_date(page, field_id: str, year: str, month: str, day: str) -> None:
    """Type a date into the focused date field, its parts in the order the browser shows them.

    Chromium orders them after its own language (åååå-mm-dd in Swedish, mm/dd/yyyy in US English,
    the only one Debian's package has without chromium-l10n), which a page cannot read: try the
    orders until the field holds the date, clearing it between tries (Backspace empties a part,
    Shift+Tab goes back one part).
    """
    wanted = f"{year}-{month}-{day}"
    for parts in ((year, month, day), (month, day, year), (day, month, year)):
        page.keyboard.type("".join(parts))
        if page.input_value(f"#{field_id}") == wanted:
            return
        page.keyboard.press("Backspace")
        for _ in range(2):
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Backspace")
        assert focused(page) == field_id and page.input_value(f"#{field_id}") == ""
    raise AssertionError(f"the date field never held {wanted}")


def skip_to_content(page) -> None:
    """A fresh page: the first Tab lands on the skip link, Enter takes the focus into the content."""
    press(page, "Tab", "a:Hoppa till innehållet")
    page.keyboard.press("Enter")
    assert focused(page) == "innehall"


def test_a_whole_form_with_the_keyboard_only(live, page, citizen_login, screenshot):
    factories.eservice("Specialkost", slug="specialkost-tangentbord", definition=DEFINITION)
    citizen = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung", email="maria@example.org")
    citizen_login(page, citizen)

    # The e-service's start page: past the personal-data text to Starta e-tjänsten, then Enter.
    page.goto(live.url + "/e-tjanster/specialkost-tangentbord")
    skip_to_content(page)
    tab_to(page, "a:Starta e-tjänsten")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/e-tjanster/specialkost-tangentbord/ansokan$"))
    expect(page.locator("h1")).to_have_text("Barnet")

    # Step 1: the text, the radio group, its follow-up, then the buttons, in this order.
    skip_to_content(page)
    follow_up = page.locator("#q-allergi-group")
    expect(follow_up).to_be_hidden()
    assert tab_to(page, "q-namn") == ["q-namn"]  # the first stop in the content is the first field
    page.keyboard.type("Lisa Öljung")
    press(page, "Tab", "q-grund")  # into the radio group (nothing chosen yet: its first option)
    expect(page.locator("#q-grund")).not_to_be_checked()
    expect(follow_up).to_be_hidden()
    press(page, "Space", "q-grund")
    expect(page.locator("#q-grund")).to_be_checked()
    expect(follow_up).to_be_visible()  # "Medicinska skäl" brings up the follow-up at once
    press(page, "ArrowDown", "q-grund-2")  # the arrows move the choice within the group
    expect(page.locator("#q-grund-2")).to_be_checked()
    expect(follow_up).to_be_hidden()
    press(page, "Tab", "button:Nästa")  # the hidden follow-up is no stop
    press(page, "Shift+Tab", "q-grund-2")  # back into the group, on its chosen option
    press(page, "ArrowUp", "q-grund")
    expect(page.locator("#q-grund")).to_be_checked()
    expect(follow_up).to_be_visible()
    press(page, "Tab", "q-allergi")  # the radio group is one stop: on to the follow-up
    page.keyboard.type("Celiaki.")
    screenshot(page, "step-1-focus-in-follow-up")
    press(page, "Tab", "button:Nästa")
    press(page, "Tab", "button:Spara och fortsätt senare")
    press(page, "Shift+Tab", "button:Nästa")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ansokan/\d+/steg/2$"))
    draft_id = int(re.search(r"/ansokan/(\d+)/", page.url).group(1))

    # Step 2: each checkbox is a stop (Space ticks it), then the date, then the buttons.
    expect(page.locator("h1")).to_have_text("Kosten")
    skip_to_content(page)
    assert tab_to(page, "q-kost") == ["q-kost"]
    press(page, "Space", "q-kost")
    expect(page.get_by_label("Glutenfri")).to_be_checked()
    press(page, "Tab", "q-kost-2")
    press(page, "Space", "q-kost-2")
    expect(page.get_by_label("Laktosfri")).to_be_checked()
    press(page, "Tab", "q-start")
    type_date(page, "q-start", "2026", "09", "01")
    screenshot(page, "step-2-focus-in-date")
    # Past the date's own parts and its calendar button (Chromium stops at each) to the buttons.
    stops = tab_to(page, "button:Nästa", limit=5)
    assert set(stops[:-1]) <= {"q-start"}, stops
    press(page, "Tab", "button:Föregående")
    press(page, "Tab", "button:Spara och fortsätt senare")
    press(page, "Shift+Tab", "button:Föregående")
    press(page, "Shift+Tab", "button:Nästa")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/ansokan/{draft_id}/sammanfattning$"))

    # The summary: its Ändra links, then Skicka in; Enter sends the application.
    expect(page.locator("h1")).to_have_text("Sammanfattning")
    skip_to_content(page)
    stops = tab_to(page, "button:Skicka in")
    assert [s for s in stops if s.startswith("a:Ändra")] == ["a:Ändra Barnet", "a:Ändra Kosten"], stops
    screenshot(page, "summary-focus-on-submit")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/kvittens/{draft_id}$"))
    expect(page.locator("h1")).to_have_text("Din ansökan är inskickad")

    db.session.expire_all()
    case = db.session.get(Case, draft_id)
    assert not case.is_draft and case.number is not None
    assert case.answers["namn"] == "Lisa Öljung" and case.answers["grund"] == "medicinsk"
    assert case.answers["allergi"] == "Celiaki." and sorted(case.answers["kost"]) == ["gluten", "laktos"]
    assert str(case.answers["start"]) == "2026-09-01"
    expect(page.locator(".apply-receipt__number")).to_have_text(str(case.number))
