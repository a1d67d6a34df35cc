#!/usr/bin/env bash
# The translation workflow: extract the English message ids, update the Swedish and
# English catalogues, take in the Swedish handed over in SV_MESSAGES.md files, compile.
#
#   translations/update.sh            then translate what `catalog.py missing` lists in
#                                     translations/sv/LC_MESSAGES/messages.po and run it again
#
# Message ids are English in code and templates; Swedish is the default language.
# Flask-AppBuilder ships no Swedish, so its message ids are added to ours (catalog.py).
# The compiled *.mo files are not committed: `pybabel compile -d translations` at install.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV_BIN="${VENV_BIN:-.venv/bin}"
PYBABEL="${PYBABEL:-$VENV_BIN/pybabel}"
PYTHON="${PYTHON:-$VENV_BIN/python}"

POT="$(mktemp --suffix=.pot)"
trap 'rm -f "$POT"' EXIT

"$PYBABEL" extract -F babel.cfg \
    -k lazy_gettext -k _l -k lazy_ngettext:1,2 -k lazy_formatter_gettext \
    --add-location=file --sort-by-file \
    --project=Etjänst --copyright-holder="Etjänst" \
    -o "$POT" .
"$PYTHON" translations/catalog.py add-fab "$POT"

for locale in sv en; do
    if [ -f "translations/$locale/LC_MESSAGES/messages.po" ]; then
        "$PYBABEL" update -i "$POT" -d translations -l "$locale" --no-fuzzy-matching
    else
        "$PYBABEL" init -i "$POT" -d translations -l "$locale"
    fi
done

mapfile -t handovers < <(find backoffice portal shared scheduler -name "SV_MESSAGES*.md" | sort)
"$PYTHON" translations/catalog.py merge-sv "${handovers[@]}"
"$PYBABEL" compile -d translations --statistics
"$PYTHON" translations/catalog.py missing || echo "Translate the ids above in translations/sv/LC_MESSAGES/messages.po." >&2
