"""Helpers every service uses: validate fully, save inside a transaction, record who did it."""

from django.db import transaction


def save_validated(obj, by, *, exclude=None):
    """Run every model check, then save; the change history records ``by`` as the author."""
    obj.full_clean(exclude=exclude)
    obj._history_user = by
    with transaction.atomic():
        obj.save()
    return obj
