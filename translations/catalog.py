"""Helpers for the translation workflow (translations/update.sh) and its test.

    python translations/catalog.py add-fab POT         add Flask-AppBuilder's message ids to POT
    python translations/catalog.py merge-sv FILE...    fill empty Swedish translations from SV_MESSAGES.md files
    python translations/catalog.py missing             list message ids without a Swedish translation

Flask-AppBuilder ships no Swedish catalogue, so our sv catalogue translates FAB's own
strings too: they are extracted from the installed FAB (its Python and templates) and
added to our template, so ``pybabel update`` keeps them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SV_PO = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po"

# The same keywords update.sh passes to pybabel (-k).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "lazy_formatter_gettext": None,
}

FAB_METHOD_MAP = [
    ("**/tests/**", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]


def _collect(messages: Iterable[tuple], prefix: str = "") -> dict[str | tuple[str, ...], set[str]]:
    found: dict[str | tuple[str, ...], set[str]] = {}
    for filename, _lineno, message, _comments, _context in messages:
        if message in ("", ()):
            continue
        found.setdefault(message, set()).add(prefix + filename)
    return found


def project_messages(root: Path = ROOT) -> dict[str | tuple[str, ...], set[str]]:
    """Every message id in our code, as ``pybabel extract -F babel.cfg`` finds it: {msgid: files}."""
    with open(root / "babel.cfg", encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj)
    return _collect(extract_from_dir(str(root), method_map, options_map, keywords=KEYWORDS))


def fab_dir() -> Path:
    import flask_appbuilder

    return Path(os.path.dirname(flask_appbuilder.__file__))


def fab_messages() -> dict[str | tuple[str, ...], set[str]]:
    """Every message id in the installed Flask-AppBuilder's Python and templates."""
    return _collect(extract_from_dir(str(fab_dir()), FAB_METHOD_MAP, {}, keywords=KEYWORDS), prefix="flask_appbuilder/")


def add_fab(pot_path: Path) -> int:
    """Add FAB's message ids to a POT made by pybabel extract; returns how many were new."""
    with open(pot_path, "rb") as fileobj:
        catalog = read_po(fileobj)
    added = 0
    for msgid, files in sorted(fab_messages().items(), key=lambda item: sorted(item[1])[0]):
        locations = [(name, None) for name in sorted(files)]
        if msgid in catalog:
            catalog[msgid].locations.extend(locations)
            continue
        catalog.add(msgid, locations=locations, auto_comments=["Flask-AppBuilder"])
        added += 1
    with open(pot_path, "wb") as fileobj:
        write_po(fileobj, catalog, include_lineno=False)
    return added


def translated(message) -> bool:
    """A message counts as translated when every msgstr is filled in and it is not fuzzy."""
    if message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s and s.strip() for s in strings)


def read_sv() -> Catalog:
    with open(SV_PO, "rb") as fileobj:
        return read_po(fileobj, locale="sv")


# SV_MESSAGES.md: the other engineers hand over Swedish for their message ids. Accepted
# forms, one message per line: a table row `| English | Svenska |`, or a list item
# `- "English" → "Svenska"` (-> and = also work), backticks or quotes around either side;
# and fenced ```po blocks of catalogue entries (the only way to give plural forms).
_ROW = re.compile(r"^\s*\|(?P<en>.+?)\|(?P<sv>.+?)\|")
_ITEM = re.compile(r"^\s*(?:[-*]\s+)?(?P<en>(?:`[^`]+`|\"[^\"]+\"|'[^']+'))\s*(?:→|->|=>|=|:)\s*(?P<sv>.+?)\s*$")


def _unquote(text: str) -> str:
    text = text.strip()
    for left, right in (("`", "`"), ('"', '"'), ("'", "'"), ("“", "”")):
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            return text[1:-1].replace('\\"', '"')
    return text


_PO_BLOCK = re.compile(r"^```po[ \t]*\n(.*?)^```", re.S | re.M)


def parse_sv_messages(path: Path) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """{msgid: Swedish} from an SV_MESSAGES.md; plural msgids and strings are tuples."""
    import io

    text = path.read_text(encoding="utf-8")
    pairs: dict[str | tuple[str, ...], str | tuple[str, ...]] = {}
    for block in _PO_BLOCK.findall(text):
        for message in read_po(io.BytesIO(block.encode("utf-8")), locale="sv"):
            if message.id and translated(message):
                pairs[message.id] = message.string
    for line in _PO_BLOCK.sub("", text).splitlines():
        match = _ROW.match(line) or _ITEM.match(line)
        if not match:
            continue
        # A trailing note in italics, e.g. "*(forms)*", is the handover's, not the msgid's.
        english = _unquote(re.sub(r"\s*\*\([^)]*\)\*\s*$", "", match["en"].strip()))
        swedish = _unquote(match["sv"])
        if not english or not swedish or set(english) <= set("-: ") or english.lower() in {"msgid", "english"}:
            continue
        pairs[english] = swedish
    return pairs


def merge_sv(paths: Iterable[Path]) -> tuple[int, list[str], list[str]]:
    """Fill empty Swedish translations from SV_MESSAGES.md files.

    Never overwrites a translation already in the catalogue (that one was reviewed);
    returns (filled, differing ids, ids not in the catalogue).
    """
    catalog = read_sv()
    filled, differing, unknown = 0, [], []
    for path in paths:
        if not path.exists():
            continue
        for english, swedish in parse_sv_messages(path).items():
            message = catalog.get(english[0] if isinstance(english, tuple) else english)
            if message is not None and isinstance(message.id, tuple) != isinstance(swedish, tuple):
                differing.append(str(english))  # singular given for a plural id, or the reverse
                continue
            if message is None:
                unknown.append(english)
            elif not translated(message):
                message.string = swedish
                message.flags.discard("fuzzy")
                filled += 1
            elif message.string != swedish:
                differing.append(english)
    with open(SV_PO, "wb") as fileobj:
        write_po(fileobj, catalog, include_lineno=False)
    return filled, differing, unknown


def missing_sv() -> list[str]:
    return [str(m.id) for m in read_sv() if m.id and not translated(m)]


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "add-fab":
        print(f"Flask-AppBuilder: {add_fab(Path(argv[1]))} message ids added")
        return 0
    if argv and argv[0] == "merge-sv":
        filled, differing, unknown = merge_sv(Path(p) for p in argv[1:])
        print(f"SV_MESSAGES: {filled} Swedish translations filled in")
        for msgid in differing:
            print(f"  kept the catalogue's translation (the handover differs): {msgid!r}")
        for msgid in unknown:
            print(f"  not in the code (yet): {msgid!r}")
        return 0
    if argv and argv[0] == "missing":
        missing = missing_sv()
        for msgid in missing:
            print(msgid)
        print(f"{len(missing)} message ids lack a Swedish translation", file=sys.stderr)
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
