"""An accessibility review of the admin and the public site's default templates, as a WCAG 2.2
AA reviewer does it (axe-core in Chromium, then the keyboard and the markup by hand): each test
states in the HTML or the stylesheet what a finding was, and failed before its fix. What needs a
browser to show (focus, keys, live announcements) is in test_browser_a11y.py."""
from __future__ import annotations

import re
from pathlib import Path

import cms

STATIC = Path(cms.__file__).resolve().parent / "web" / "static"
SITE_TEMPLATES = Path(cms.__file__).resolve().parent / "site_templates"


# -- colour contrast (WCAG 1.4.3 text 4.5:1, 1.4.11 parts of a control 3:1) ---------------------
def luminance(colour: str) -> float:
    """WCAG's relative luminance of #rgb or #rrggbb."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def css_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every innermost rule, `var(--x)` replaced by its value."""
    variables = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", text.split("}", 1)[0]))
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", text, flags=re.S)):
        body = re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], body)
        declarations = dict((name.strip(), value.strip()) for name, value in
                            (part.split(":", 1) for part in body.split(";") if ":" in part))
        rules.append((" ".join(selector.split()), declarations))
    return rules


def declared(rules, selector: str, prop: str) -> str:
    found = [d[prop] for s, d in rules if selector in [x.strip() for x in s.split(",")] and prop in d]
    assert found, f"no {prop} for {selector}"
    return found[-1]


def test_admin_links_and_status_badges_have_a_contrast_of_4_5_to_1():
    """axe-core: the admin's blue (#2f6fd6) links and link buttons on the page's grey (#f6f7f9)
    came to 4.48:1, and to 4.27:1 on a tree row under the pointer (57 nodes over the screens);
    a task's WAITING badge was 3.38:1 and FINISHED 3.65:1 (12 px text, which needs 4.5:1)."""
    rules = css_rules((STATIC / "admin.css").read_text())
    accent = declared(rules, "a", "color")
    backgrounds = {"page": declared(rules, "body", "background"),
                   "card": declared(rules, "form.editor", "background"),
                   "row under the pointer": declared(rules, ".tree-row:hover", "background"),
                   "row led to": declared(rules, ".tree-row.target", "background")}
    for where, background in backgrounds.items():
        assert contrast(accent, background) >= 4.5, (where, accent, background)
    assert contrast("#fff", declared(rules, "button", "background")) >= 4.5
    badges = [(s, d) for s, d in rules if s.endswith(" .state") and "color" in d and "background" in d]
    assert len(badges) >= 4
    for selector, d in badges:
        assert contrast(d["color"], d["background"]) >= 4.5, (selector, d)
    track = declared(rules, "progress::-webkit-progress-bar", "background")     # the bar's fill: 3:1
    for selector in ("progress::-webkit-progress-value", ".state-finished progress::-webkit-progress-value"):
        assert contrast(declared(rules, selector, "background"), track) >= 3, selector


def test_the_public_layout_s_links_and_footer_have_a_contrast_of_4_5_to_1():
    """The default site templates' pager links (#3a7bd5 on white) were 4.22:1, and the footer's
    grey on the page 4.29:1."""
    style = (SITE_TEMPLATES / "_layout.html").read_text().split("<style>", 1)[1].split("</style>", 1)[0]
    rules = css_rules(style)
    page = declared(rules, "body", "background")
    assert contrast(declared(rules, ".MarkupPagerNav a", "color"),
                    declared(rules, ".MarkupPagerNav a", "background")) >= 4.5
    assert contrast(declared(rules, "header a.edit", "color"), page) >= 4.5
    assert contrast(declared(rules, "footer", "color"), page) >= 4.5
    current = declared(rules, ".MarkupPagerNav .MarkupPagerNavOn a", "background")
    assert contrast("#fff", current) >= 4.5
