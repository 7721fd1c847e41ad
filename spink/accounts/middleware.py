"""Responses that may carry person data are never stored by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every page, export and API answer.

    Nearly every answer Spink gives is behind a login and may name a person, and the ones
    that are not (the login page, health) gain nothing from caching; deciding per view would
    leave the next view forgotten. Static files are served before this (WhiteNoise) and keep
    their long cache lifetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
