"""What an indicator is about: a street, or one community of it, optionally one category."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    street_id: int | None = None  # None with no community: every street (the whole city)
    community_id: int | None = None
    category_id: int | None = None

    def filters(self, *, street="street_id", community="community_id", category="category_id"):
        """ORM filter kwargs for a table whose scope columns have these names."""
        out = {}
        if self.street_id is not None and street:
            out[street] = self.street_id
        if self.community_id is not None:
            out[community] = self.community_id
        if self.category_id is not None and category:
            out[category] = self.category_id
        return out

    def without_category(self) -> "Scope":
        return Scope(self.street_id, self.community_id, None)
