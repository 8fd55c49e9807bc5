"""A typed address against the community's compounds and buildings (for imports).

Residents' addresses read "<compound><building><room>", e.g. "阳光花园3幢201室". An address is
matched by its longest known prefix: a building ("阳光花园3幢"), else a compound ("阳光花园",
for an address with no building number or a compound without buildings). A building number
the compound does not have, or a compound the community does not have, is a problem, with
the nearest known name suggested (difflib). 栋, 号楼 and 幢 are the same word here, and spaces
do not count. A community with no compound or building registered cannot be checked: every
address is taken as typed.
"""

import difflib
import re

from django.utils.translation import gettext as _

from .models import Community, Site

BUILDING_NUMBER = re.compile(r"\d+幢")
SUGGEST_CUTOFF = 0.3
MAX_LISTED = 12


def plain(text: str) -> str:
    """The address as compared: no spaces, one word for a building."""
    text = re.sub(r"\s+", "", text or "")
    return text.replace("号楼", "幢").replace("栋", "幢")


class CommunityPlaces:
    """The compounds and buildings of one community, for matching typed addresses."""

    def __init__(self, community: Community):
        self.community = community
        sites = Site.objects.filter(
            community=community, kind__in=[Site.Kind.COMPOUND, Site.Kind.BUILDING]
        ).select_related("parent")
        self.compounds: dict[str, Site] = {}
        self.buildings: dict[str, Site] = {}  # plain "阳光花园3幢" → the building
        self.labels: dict[str, str] = {}  # plain label → as the community writes it
        self.buildings_of: dict[str, dict[str, str]] = {}  # compound → {plain "3幢": "3幢"}
        for site in sites:
            if site.kind == Site.Kind.COMPOUND:
                self.compounds[plain(site.name)] = site
                self.labels[plain(site.name)] = site.name
        for site in sites:
            if site.kind == Site.Kind.BUILDING and site.parent_id:
                compound = plain(site.parent.name)
                label = compound + plain(site.name)
                self.buildings[label] = site
                self.labels[label] = f"{site.parent.name}{site.name}"
                self.buildings_of.setdefault(compound, {})[plain(site.name)] = site.name

    @property
    def checkable(self) -> bool:
        return bool(self.compounds or self.buildings)

    def site_for(self, address: str, problems: list[str]) -> Site | None:
        """The building (or compound) the address is in; a problem for an unknown one."""
        if not self.checkable:
            return None
        text = plain(address)
        building = _longest_prefix(text, self.buildings)
        if building:
            return self.buildings[building]
        compound = _longest_prefix(text, self.compounds)
        if compound:
            wanted = BUILDING_NUMBER.match(text[len(compound) :])
            known = self.buildings_of.get(compound, {})
            if wanted and known:
                nearest = difflib.get_close_matches(wanted.group(0), list(known), n=1, cutoff=0)
                problems.append(
                    _("%(compound)s has no %(building)s (it has %(known)s)")
                    % {
                        "compound": self.labels[compound],
                        "building": wanted.group(0),
                        "known": _(", ").join(_ordered(known.values())[:MAX_LISTED]),
                    }
                    + (
                        _("; did you mean “%(nearest)s”?")
                        % {"nearest": self.labels[compound] + known[nearest[0]]}
                        if nearest
                        else ""
                    )
                )
                return None
            return self.compounds[compound]
        typed = BUILDING_NUMBER.search(text)
        typed = text[: typed.end()] if typed else text[:20]
        nearest = difflib.get_close_matches(typed, list(self.labels), n=1, cutoff=SUGGEST_CUTOFF)
        if nearest:
            problems.append(
                _(
                    "“%(typed)s” is not a compound or building of %(community)s; "
                    "did you mean “%(nearest)s”?"
                )
                % {
                    "typed": typed,
                    "community": self.community.name,
                    "nearest": self.labels[nearest[0]],
                }
            )
        else:
            problems.append(
                _(
                    "“%(typed)s” is not a compound or building of %(community)s "
                    "(its compounds: %(known)s)"
                )
                % {
                    "typed": typed,
                    "community": self.community.name,
                    "known": _(", ").join(
                        sorted(self.labels[c] for c in self.compounds)[:MAX_LISTED]
                    ),
                }
            )
        return None


def _longest_prefix(text: str, names) -> str | None:
    found = [name for name in names if text.startswith(name)]
    return max(found, key=len) if found else None


def _ordered(names) -> list[str]:
    """Building names in their numbers' order (2幢 before 10幢)."""
    return sorted(names, key=lambda n: (int(m.group()) if (m := re.match(r"\d+", n)) else 0, n))
