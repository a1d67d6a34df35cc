"""A safe renderer for notification texts written by builders.

Only ``{name}`` with a known name is replaced, by plain text, in one pass (a value that
itself looks like a placeholder stays as it is). Anything else — ``{okänd}``,
``{__class__}``, ``{0.__init__}``, a lone brace — is left visible exactly as written:
never an exception, never attribute access, never code. ``str.format`` is not used on
purpose, since it would evaluate ``{0.__class__}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping

# The placeholders a builder may use, with what they stand for (shown in the builder).
PLACEHOLDERS: dict[str, str] = {
    "arendenummer": "Ärendenummer",
    "etjanst": "E-tjänstens namn",
    "status": "Ärendets status (för den sökande: statusens text för invånare)",
    "lank": "Länk till ärendet (Mina sidor för den sökande, handläggningsvyn för handläggare)",
    "handlaggare": "Handläggaren som gjorde ändringen, annars ärendets handläggare",
    "namn": "Mottagarens namn",
    "meddelande": "Text som hör till händelsen (t.ex. frånvaromeddelandet eller utskickets text)",
    "fil": "Filens namn (komplettering, nedladdning)",
    "kommun": "Kommunens namn",
}

_ANY = re.compile(r"\{([^{}\n]*)\}")


@functools.cache
def _known(names: frozenset[str]) -> re.Pattern[str]:
    return re.compile(r"\{(" + "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True)) + r")\}")


_KNOWN = _known(frozenset(PLACEHOLDERS))


def render(text: str | None, values: Mapping[str, object], placeholders: Collection[str] = PLACEHOLDERS) -> str:
    """The text with every known placeholder replaced by its value; unknown ones left as written.

    ``placeholders``: the names known here (a mailing knows one more, {svara_senast}).
    """
    if not text:
        return ""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return "" if value is None else str(value)

    pattern = _KNOWN if placeholders is PLACEHOLDERS else _known(frozenset(placeholders))
    return pattern.sub(replace, text)


def check_template(text: str | None, placeholders: Collection[str] = PLACEHOLDERS) -> list[str]:
    """The placeholders in a text that are not known (e.g. ["{arendenr}"]), each once, in order."""
    unknown: list[str] = []
    for match in _ANY.finditer(text or ""):
        if match.group(1) not in placeholders and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def broken_braces(text: str | None) -> list[str]:
    """The stray braces in a text, each shown with a little of its context (e.g. ["{arendenummer"]), in order.

    A brace is stray when it is not part of a ``{name}`` pair on one line: a placeholder
    missing its closing brace, a doubled brace ``{{…}}``, a lone ``}``. The renderer would
    leave them as written, so the builder is told when saving rather than the applicant
    seeing them.
    """
    text = text or ""
    pairs = [match.span() for match in _ANY.finditer(text)]
    starts = {start: end for start, end in pairs}
    ends = {end: start for start, end in pairs}
    spans: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        if char not in "{}" or any(start <= index < end for start, end in pairs):
            continue
        line_start = text.rfind("\n", 0, index) + 1
        line_end = text.find("\n", index)
        line_end = len(text) if line_end < 0 else line_end
        if char == "{":
            following = [i for i in (text.find("{", index + 1), text.find("}", index + 1)) if i >= 0]
            spans.append((index, starts.get(index + 1, min([index + 20, line_end, *following]))))
        else:
            spans.append((ends.get(index, max(index - 19, line_start)), index + 1))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    found: list[str] = []
    for start, end in merged:
        if text[start:end] not in found:
            found.append(text[start:end])
    return found


def drop_lines_with(text: str, name: str) -> str:
    """The text without the lines that use placeholder {name} (a link an anonymous applicant cannot use)."""
    token = "{" + name + "}"
    lines = [line for line in text.split("\n") if token not in line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
