"""The charts' colours and font, read from the design tokens of static/css/pulse.css.

The stylesheet's ``:root`` custom properties are the one definition of the palette: badges
and cards use them in CSS, and the chart builders (Plotly figures, drawn from JSON) use the
same values through this module, read once at import. A token renamed or removed in the
stylesheet fails here at import, not as a silently wrong colour on a chart.

Pure Python: no Django needed to read a file next to the code.
"""

import re
from pathlib import Path

from core.grades import Grade

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "pulse.css"

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_ROOT = re.compile(r":root\s*\{(?P<body>[^}]*)\}")
_TOKEN = re.compile(r"(?P<name>--[\w-]+)\s*:\s*(?P<value>[^;]+);")


def read_tokens(css: str) -> dict[str, str]:
    """The custom properties declared in the stylesheet's first ``:root`` block, by name: the
    light theme, which the charts are built in (the dark theme's block, inside a media query,
    comes later; the browser swaps its values in when it draws: static/js/charts.js)."""
    css = _COMMENT.sub("", css)
    root = _ROOT.search(css)
    if root is None:
        return {}
    return {match["name"]: match["value"].strip() for match in _TOKEN.finditer(root["body"])}


TOKENS = read_tokens(STYLESHEET.read_text(encoding="utf-8"))


def token(name: str) -> str:
    """A token's value; a KeyError names a token the stylesheet does not declare."""
    try:
        return TOKENS[name]
    except KeyError:
        raise KeyError(f"{name} is not a :root token of {STYLESHEET.name}") from None


def translucent(colour: str, alpha: float) -> str:
    """A ``#rrggbb`` token as ``rgba(...)`` with this opacity (a label's ground over a line)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# Grades are drawn in their badges' dot colours (the strongest of each grade's three).
GRADE_COLOURS: dict[str, str] = {grade.value: token(f"--grade-{grade}-dot") for grade in Grade}
INK = token("--color-text")
MUTED = token("--color-text-muted")
GRID = token("--color-border")
ACCENT = token("--color-brand")
SURFACE = token("--color-surface")
REQUESTED = token("--chart-requested")
# Plotly takes a font list as CSS does, but without the quotes around family names.
FONT = token("--font-sans").replace('"', "")


# The tokens a chart may draw in, by name: the browser maps each light value back to its token
# and, in dark mode, draws the token's dark value instead (static/js/charts.js).
CHART_TOKENS: dict[str, str] = {
    name: value
    for name, value in TOKENS.items()
    if name.startswith(("--color-", "--grade-", "--chart-")) and value.startswith("#")
}
