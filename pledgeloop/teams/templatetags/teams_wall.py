"""`{% team_cards community %}`: the public team card on the pledge wall (DESIGN.md C7).

The wall belongs to the pledges app, below teams; its template asks for the cards through
this tag rather than its view importing teams.
"""

from django import template
from django.db.models import Count, Q

from pledgeloop.teams.models import Team

register = template.Library()


@register.inclusion_tag("teams/_wall_cards.html")
def team_cards(community):
    """The active teams serving the community, its own and the street's: one query."""
    teams = (
        Team.objects.filter(street_id=community.street_id, active=True)
        .filter(Q(community__isnull=True) | Q(community_id=community.pk))
        .annotate(people=Count("roster"))
        .order_by("scope", "name")
    )
    return {"teams": list(teams), "street": community.street}
