"""Plain text with light structure, rendered safely: paragraphs and "- " lists, never HTML."""

from __future__ import annotations

from itertools import groupby

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BULLETS = ("- ", "* ", "• ")


def render(text: str) -> SafeString:
    """Blank lines separate paragraphs; consecutive lines starting with "- ", "* " or "• "
    form a list. Everything is escaped, so markup typed into the text is shown as text."""
    html = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        for is_list, run in groupby(lines, key=lambda line: line.startswith(BULLETS)):
            group = list(run)
            if is_list:
                items = "".join(f"<li>{escape(line[2:].strip())}</li>" for line in group)
                html.append(f"<ul>{items}</ul>")
            else:
                html.append("<p>" + "<br>".join(escape(line) for line in group) + "</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text is escaped above
