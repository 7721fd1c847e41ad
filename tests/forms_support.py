"""Read a form off a rendered page the way a browser would post it (for the concurrency tests:
two sessions open the same page, both post what their page carried)."""

from __future__ import annotations

import html
import re

from django.test import Client
from django.utils import translation
from django.utils.text import capfirst

# The start of concurrency.StaleEdit's message in Swedish, the UI's default.
STALE = "Någon annan har ändrat detta"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def form_data(page: str, action: str | None = None) -> dict[str, str | list[str]]:
    """The fields of the page's form posting to `action` (by default: the first POST form
    without an action, i.e. posting to the page itself), as the browser would send them."""
    for match in re.finditer(r"(<form\b[^>]*>)(.*?)</form>", page, re.S):
        tag, body = match.groups()
        if "post" not in (_attr(tag, "method") or "").lower():
            continue
        form_action = _attr(tag, "action")
        if action is None and form_action is None:
            return _fields(body)
        if action is not None and form_action is not None and form_action.startswith(action):
            return _fields(body)
    raise AssertionError(f"no form posting to {action or 'the page'}")


def _fields(body: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {}

    def add(name: str, value: str) -> None:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value

    for tag in re.findall(r"<input\b[^>]*>", body):
        name = _attr(tag, "name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        kind = (_attr(tag, "type") or "text").lower()
        if kind in ("checkbox", "radio"):
            if re.search(r"\schecked\b", tag):
                add(name, _attr(tag, "value") or "on")
            continue
        if kind == "file":
            continue
        add(name, _attr(tag, "value") or "")
    for tag, options in re.findall(r"(<select\b[^>]*>)(.*?)</select>", body, re.S):
        name = _attr(tag, "name")
        chosen = [
            html.unescape(value)
            for value in re.findall(r'<option value="([^"]*)"[^>]*\sselected\b', options)
        ]
        if "multiple" in tag:
            data[name] = chosen
        else:
            data[name] = chosen[0] if chosen else ""
    for tag, text in re.findall(r"(<textarea\b[^>]*>)(.*?)</textarea>", body, re.S):
        data[_attr(tag, "name")] = html.unescape(text).removeprefix("\n")
    return data


def label(model, field: str) -> str:
    """A field's name as the Swedish page shows it."""
    with translation.override("sv"):
        return str(capfirst(model._meta.get_field(field).verbose_name))


def two_tabs(user, url: str, action: str | None = None):
    """The same user opens the same page in two sessions: each with the form it carried."""
    first, second = logged_in(user), logged_in(user)
    forms = [form_data(client.get(url).content.decode(), action) for client in (first, second)]
    return (first, forms[0]), (second, forms[1])


def refused(response) -> str:
    """A save refused as stale: a 400 page with the stale message."""
    assert response.status_code == 400
    text = response.content.decode()
    assert STALE in text
    return text
