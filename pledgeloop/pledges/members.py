"""A member's page for staff (/people/members/<pk>/), served from here on people's path: to
the member's community admins it adds what the people app below cannot read, the orders they
hold (the order loop's), their pledges and how they are kept, and their service this year.
The root URLconf includes these patterns before people's, as for /me/ (home.py)."""

from django.contrib.auth.decorators import login_required

from pledgeloop.people import views as people_views

from .selectors import member_record


@login_required
def member_detail(request, pk: int):
    return people_views.member_detail(request, pk, record=member_record)
