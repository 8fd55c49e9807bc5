"""What a page or an export covers, in words, for its title and file name (DESIGN.md §10).

A community admin's export holds their community's figures and says so; a street admin's
whole-street export names the street. `scope_name` is the one rule: one community → its
name; every community of a street → the street's name; otherwise the communities' names.
"""

from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext as _

from .models import Community

MAX_NAMES = 3


def scope_name(communities: Iterable[Community]) -> str:
    """The name of exactly what `communities` covers (one query for the streets' sizes)."""
    chosen = sorted(set(communities), key=lambda c: (c.street_id, c.name))
    if len(chosen) <= 1:
        return chosen[0].name if chosen else ""
    streets = {
        street_id: (name, size)
        for street_id, name, size in Community.objects.filter(
            street_id__in={c.street_id for c in chosen}
        )
        .values_list("street_id", "street__name")
        .annotate(size=Count("pk"))
        .order_by()
    }
    parts, loose = [], []
    for street_id, (name, size) in sorted(streets.items()):
        here = [c for c in chosen if c.street_id == street_id]
        if len(here) == size:
            parts.append(name)  # the whole street
        else:
            loose.extend(here)
    if len(loose) > MAX_NAMES:
        parts.append(
            _("%(first)s and %(n)s other communities")
            % {"first": loose[0].name, "n": len(loose) - 1}
        )
    else:
        parts.extend(c.name for c in loose)
    return _(", ").join(parts)
