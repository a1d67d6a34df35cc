"""axe-core checks for browser tests: WCAG 2.1 level A and AA, zero violations.

axe-core's script comes bundled with axe-playwright-python (its ``axe.min.js``, read from the
installed package and injected into the page); nothing is fetched from a CDN. While it runs,
axe reads the page's own style sheets (same origin: the live server on 127.0.0.1).

    from tests.browser.axe import assert_accessible

    page.goto(live.url + "/")
    assert_accessible(page, context="start page")
"""

from __future__ import annotations

from typing import Any

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPTIONS: dict[str, Any] = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _target(node: dict[str, Any]) -> str:
    # A target is a list of selectors, one per frame or shadow root on the way to the element.
    return " >> ".join(" ".join(part) if isinstance(part, list) else str(part) for part in node.get("target", []))


def _summary(node: dict[str, Any]) -> str:
    messages = [check.get("message", "") for key in ("any", "all", "none") for check in node.get(key) or []]
    return "; ".join(m for m in messages if m)


def violations(page, include: str | None = None) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (optionally only inside a selector)."""
    results = _axe().run(page, context=include, options=OPTIONS)
    return list(results.response["violations"])


def report(found: list[dict[str, Any]]) -> str:
    """One readable block per violation: rule id, impact, help, and each element's selector and why."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation.get('impact') or 'no impact given'}): {violation['help']}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation.get("nodes", []):
            lines.append(f"    * {_target(node)}")
            why = _summary(node)
            if why:
                lines.append(f"      {why}")
    return "\n".join(lines)


def assert_accessible(page, context: str = "", *, include: str | None = None) -> None:
    """Fail, listing every violation, unless axe-core finds nothing against WCAG 2.1 A/AA on the page.

    ``context`` names the page in the failure message (e.g. "start page, search without hits");
    ``include`` limits the check to the part of the page a CSS selector picks.
    """
    found = violations(page, include)
    if found:
        where = f"{context} ({page.url})" if context else page.url
        count = sum(len(v.get("nodes", [])) for v in found)
        raise AssertionError(
            f"axe-core: {len(found)} WCAG 2.1 A/AA rule(s) broken on {count} element(s) on {where}:\n{report(found)}"
        )
