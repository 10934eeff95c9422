"""Rate limits of the public (no-login) pages, counted per client address in the shared cache.

One group for all public pages, so that guessing booking codes cannot be spread over several URLs.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited


def public_rate_limit(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            limited = is_ratelimited(request, group="public-write", key="ip", rate=settings.YILIAN_PUBLIC_RATE,
                                     increment=True)
        else:
            limited = is_ratelimited(request, group="public-read", key="ip", rate=settings.YILIAN_PUBLIC_READ_RATE,
                                     increment=True)
        if limited:
            return render(request, "appointments/public/limited.html", status=429)
        return view(request, *args, **kwargs)

    return wrapped
