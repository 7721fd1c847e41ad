from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def request_detail(request, pk: int):
    raise Http404  # built with the placement UI
