"""Layout helpers of the templates.

``{% table_scroll %}…{% endtable_scroll %}`` wraps a table in the region that scrolls
sideways on narrow screens instead of the page (issue 14):

    {% load spink_layout %}
    {% table_scroll %}<table class="table"><caption>…</caption>…</table>{% endtable_scroll %}
    {% table_scroll "units-heading" %}<table class="table">…</table>{% endtable_scroll %}

renders ``<div class="table-scroll" role="region" aria-labelledby="…" tabindex="0">``: a
labelled region a keyboard can reach and scroll. Without an argument the region is labelled
by the table's own ``<caption>`` (which gets an id derived from its text if it has none);
with one, by the element of that id (e.g. the section's heading).
"""

from __future__ import annotations

import hashlib
import re

from django import template
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import slugify

register = template.Library()

_CAPTION = re.compile(r"<caption\b([^>]*)>(.*?)</caption>", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


class TableScrollNode(template.Node):
    def __init__(
        self, nodelist: template.NodeList, labelled_by: template.base.FilterExpression | None
    ):
        self.nodelist = nodelist
        self.labelled_by = labelled_by

    def render(self, context) -> str:
        inner: str = str(self.nodelist.render(context))
        label_id = str(self.labelled_by.resolve(context)) if self.labelled_by else ""
        if not label_id:
            inner, label_id = _label_by_caption(inner)
        if not label_id:
            raise template.TemplateSyntaxError(
                "table_scroll: the table needs a <caption> or the id of a labelling element"
            )
        return format_html(
            '<div class="table-scroll" role="region" aria-labelledby="{}" tabindex="0">{}</div>',
            label_id,
            # Already rendered, and so escaped, by the template engine.
            mark_safe(inner),  # noqa: S308
        )


def _label_by_caption(html: str) -> tuple[str, str]:
    """The id of the table's caption, adding one (from the caption's text) if it has none."""
    match = _CAPTION.search(html)
    if match is None:
        return html, ""
    found = _ID.search(match.group(1))
    if found:
        return html, found.group(1)
    text = strip_tags(match.group(2)).strip()
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    label_id = f"caption-{slugify(text)[:40].strip('-')}-{digest}"
    opening = f'<caption id="{label_id}"{match.group(1)}>'
    return html[: match.start()] + opening + html[
        match.start() + len(f"<caption{match.group(1)}>") :
    ], label_id


@register.tag
def table_scroll(parser, token):
    bits = token.split_contents()
    if len(bits) > 2:
        raise template.TemplateSyntaxError("table_scroll takes at most one argument: an id")
    labelled_by = parser.compile_filter(bits[1]) if len(bits) == 2 else None
    nodelist = parser.parse(("endtable_scroll",))
    parser.delete_first_token()
    return TableScrollNode(nodelist, labelled_by)
