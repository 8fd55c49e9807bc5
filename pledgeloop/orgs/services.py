from django.db import transaction

from .models import DEFAULT_CATEGORIES, Category, Community, Site, Street


@transaction.atomic
def street_create(*, name: str, slug: str) -> Street:
    """A new street comes with the six default categories, which it may then edit."""
    street = Street.objects.create(name=name, slug=slug)
    street_categories_default(street)
    return street


def street_categories_default(street: Street) -> None:
    """Give a new street the six default categories (street_create, and a street added in
    Django's admin): without any, its residents' form offers nothing to ask for."""
    Category.objects.bulk_create(
        Category(
            street=street,
            code=code,
            name=label,
            icon=icon,
            respond_hours=respond,
            finish_days=finish,
            sort_order=index,
        )
        for index, (code, label, icon, respond, finish) in enumerate(DEFAULT_CATEGORIES)
    )


def community_create(*, street: Street, name: str, slug: str, phone: str = "") -> Community:
    return Community.objects.create(street=street, name=name, slug=slug, phone=phone)


def community_phone_set(*, community: Community, phone: str) -> Community:
    """The number residents are given to call ("" for none). A number that is not dialable
    raises ValidationError with the field's message and changes nothing."""
    community.phone = " ".join(phone.split())
    community.full_clean(exclude=["street", "name", "slug"], validate_constraints=False)
    community.save(update_fields=["phone"])
    return community


def site_create(
    *,
    community: Community,
    kind: str,
    name: str,
    latitude,
    longitude,
    address: str = "",
    parent: Site | None = None,
) -> Site:
    """A place of the community with its coordinates (checked against the model's ranges)."""
    site = Site(
        street_id=community.street_id,
        community=community,
        kind=kind,
        name=name.strip(),
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        parent=parent,
    )
    site.full_clean()
    site.save()
    return site
