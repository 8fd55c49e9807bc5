"""The member's home (/me/), served from here on people's path: it leads with what needs an
answer now, which the people app below cannot read (offers and orders held are the order
loop's, visits due today the pledges'). The root URLconf includes these patterns before
people's, as for /me/service/new/; people's view renders the page with this agenda."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pledgeloop.notify.viewer import viewer
from pledgeloop.orders import selectors as order_selectors
from pledgeloop.orgs.pagecache import signed_in_page
from pledgeloop.people import views as people_views
from pledgeloop.people.models import Member
from pledgeloop.service.services import open_checkin_for

from .selectors import visits_loggable_by


@login_required
@signed_in_page(viewer)
def member_home(request):
    # The member with their community (the page names it), read once: people's view below
    # finds it on the user.
    member = Member.objects.select_related("community").filter(user=request.user).first()
    if member is None:
        raise PermissionDenied
    request.user.member = member
    today = timezone.localdate()
    due = list(visits_loggable_by(member))
    agenda = {
        "offers": list(order_selectors.offers_for(member)),
        "visits_today": [v for v in due if v.due_on == today],
        # Earlier visits still open to log: a count and a link, not a list.
        "visits_earlier": sum(1 for v in due if v.due_on < today),
        "held": list(order_selectors.orders_held_by(member)),
        # Still to check out: scanning the same code again ends the service and records it.
        "checked_in": open_checkin_for(member),
    }
    agenda["empty"] = not (
        agenda["offers"]
        or agenda["visits_today"]
        or agenda["visits_earlier"]
        or agenda["held"]
        or agenda["checked_in"]
    )
    return people_views.member_home(request, agenda=agenda)
