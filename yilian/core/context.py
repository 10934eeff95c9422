from django.conf import settings
from django.utils.functional import SimpleLazyObject

from yilian.core.scoping import scope_for


def _has_illustrative_data():
    from yilian.network.models import Institution

    return Institution.objects.filter(coordinates_illustrative=True).exists()


def _unread_notices(user):
    from yilian.notices.services import unread_count

    return unread_count(user) if user is not None and user.is_authenticated else 0


def yilian(request):
    """Template context every page needs: the user's scope and whether demo data is on screen."""
    return {
        "scope": scope_for(getattr(request, "user", None)),
        "production": settings.PRODUCTION,
        "illustrative_data": SimpleLazyObject(_has_illustrative_data),
        "unread_notices": SimpleLazyObject(lambda: _unread_notices(getattr(request, "user", None))),
    }
