from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from yilian.core.views import paginate

from .models import Notice


@login_required
def inbox(request):
    rows = Notice.objects.filter(recipient=request.user)  # an inbox is personal, admins included
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = paginate(request, rows)
    unread = [n.pk for n in page if n.read_at is None]
    response = render(request, "notices/inbox.html", {"page": page, "only_unread": bool(request.GET.get("unread"))})
    Notice.objects.filter(pk__in=unread).update(read_at=timezone.now())  # shown once, then read
    return response
