from django.conf import settings

from yilian.core.scoping import scope_for


def yilian(request):
    """Template context every page needs: the user's scope and the environment banner."""
    return {
        "scope": scope_for(getattr(request, "user", None)),
        "production": settings.PRODUCTION,
    }
