#!/usr/bin/env bash
# CI gate: known vulnerabilities in the locked dependencies (pip-audit --strict).
#
# Audits requirements.lock (the versions `make install` installs, as a constraints file, so
# the versions that really run), against PyPI's vulnerability data, or OSV's when PyPI's
# per-version API cannot be reached. --strict: a package that cannot be audited fails the gate too.
#
# Where neither service can be reached (a workplace with a partial PyPI mirror and no OSV),
# pip-audit would report every package as "not found" and check nothing: the gate then says
# so loudly and is skipped, never passed in silence. ETJANST_AUDIT_REQUIRED=1 makes that a
# failure instead (set it where the services are meant to be reachable).
#
# Exceptions: .ci/pip-audit-ignore.txt, one vulnerability id per line with a date and why
# ("GHSA-xxxx-xxxx-xxxx  2026-12-06  not reachable: we never call …"); blank lines and # comments ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"

reachable() {
  "$BIN/python" - "$1" <<'PY'
import json, sys, urllib.request
service = sys.argv[1]
try:
    if service == "pypi":
        from importlib.metadata import version
        request = urllib.request.Request(f"https://pypi.org/pypi/pip/{version('pip')}/json")
    else:
        body = json.dumps({"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "20.0"}).encode()
        request = urllib.request.Request("https://api.osv.dev/v1/query", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=15) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

service=""
if reachable pypi; then
  service=pypi
elif reachable osv; then
  service=osv
fi
if [ -z "$service" ]; then
  echo "pip-audit skipped: vulnerability service unreachable (PyPI's per-version JSON API and api.osv.dev)."
  echo "  Nothing was checked. Run 'make security' where https://pypi.org or https://api.osv.dev answers."
  if [ "${ETJANST_AUDIT_REQUIRED:-0}" = "1" ]; then
    echo "  ETJANST_AUDIT_REQUIRED=1: failing." >&2
    exit 1
  fi
  exit 0
fi

lock=requirements.lock
ignores=()
if [ -f .ci/pip-audit-ignore.txt ]; then
  while read -r id _rest; do
    case "$id" in ''|'#'*) continue ;; esac
    ignores+=(--ignore-vuln "$id")
  done <.ci/pip-audit-ignore.txt
fi
echo "pip-audit against $service: $(grep -c '==' "$lock") pinned packages in $lock"
"$BIN/pip-audit" --strict --progress-spinner off --vulnerability-service "$service" --no-deps --disable-pip \
  -r "$lock" "${ignores[@]}"
