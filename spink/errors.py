"""Errors shared by every app's rules."""

from __future__ import annotations

from django.utils.functional import Promise


class RuleViolation(Exception):
    """A change refused by a business rule. `message` is shown to the user as it is;
    `code` lets the API and tests tell refusals apart."""

    def __init__(self, message: str | Promise, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code
