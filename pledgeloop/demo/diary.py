"""A year of the street's 服务日志 (diary), drafted from the demo's own records (DESIGN.md C9).

The street runs the diary as a public column: each month the street's office drafts the
month's article, and every other week one community's team drafts its week, both through
`diary.services.article_draft`, which writes the figures, the category mix, highlights and
photos from the records of the period. So the words and numbers are the demo's own; nothing
here types an article.

Photos appear only where consent allows (C12): about a quarter of the residents have given
the separate PUBLIC consent (a few withdrew it later), and the records of services to them
carry a photo, as do some records of residents who never consented: the draft leaves those
out. The photos are small pictures drawn here (no camera: a demo must not show real people).

Runs last: it reads the records, reviews and figures the earlier steps wrote.
"""

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw

from pledgeloop.demo.people import CONSENT_VERSION
from pledgeloop.diary.models import Article
from pledgeloop.diary.services import article_draft, article_publish, week_of
from pledgeloop.lib.inserts import insert
from pledgeloop.people.models import Consent, Role, RoleGrant
from pledgeloop.service.models import ServicePhoto, ServiceRecord
from pledgeloop.stats.periods import add_months, month

PUBLIC_SHARE = 0.25  # of the residents who agreed to the data use
WITHDRAWN_SHARE = 0.05  # of those, later withdrawn
PHOTOS_PER_MONTH = 3  # records with a photo, per month, to consenting residents
PHOTOS_UNPUBLISHABLE_PER_MONTH = 1  # and to residents who never consented
# Colours of the drawn pictures: a wall, a floor, a figure.
PALETTE = [
    ((236, 224, 200), (180, 150, 110), (200, 30, 40)),
    ((210, 228, 240), (120, 130, 140), (30, 90, 160)),
    ((226, 240, 214), (140, 120, 90), (220, 120, 30)),
    ((245, 232, 232), (150, 110, 100), (40, 120, 80)),
]


def build(ctx) -> None:
    street = ctx.street
    author = (
        RoleGrant.objects.filter(street=street, role=Role.STREET_ADMIN)
        .select_related("user")
        .order_by("id")
        .first()
        .user
    )
    consenting = public_consents(ctx)
    add_photos(ctx, consenting)

    # The last twelve whole months, street-wide, published on the 3rd of the month after; a
    # month whose 3rd is still to come is a draft the office has yet to publish (built on
    # 1 December, the diary showed November's article as published on 3 December).
    this_month = ctx.today.replace(day=1)
    for back in range(12, 0, -1):
        start = add_months(this_month, -back)
        period = month(start.year, start.month)
        draft = article_draft(street=street, community=None, period=period, kind="month", by=author)
        on = month_published_on(period, ctx.today)
        if on is not None:
            publish(draft, ctx.moment(on, 10, 0))
    # Every other week, one community's week in turn, published the Monday after.
    communities = sorted(ctx.communities.values(), key=lambda c: c.slug)
    monday = week_of(ctx.today).start - dt.timedelta(days=7)
    first = add_months(this_month, -12)
    n = 0
    while monday >= first:
        period = week_of(monday)
        community = communities[n % len(communities)]
        publish(
            article_draft(
                street=street, community=community, period=period, kind="week", by=author
            ),
            # the Monday morning after; a demo built on that Monday before then, at once
            min(ctx.moment(period.end, 9, 30 + ctx.rng.randrange(0, 25)), timezone.now()),
        )
        monday -= dt.timedelta(days=14)
        n += 1


def month_published_on(period, today: dt.date) -> dt.date | None:
    """The day the office publishes a month's article, the 3rd of the month after; None while
    that day is still to come."""
    on = period.end + dt.timedelta(days=2)
    return on if on <= today else None


def publish(article: Article, at: dt.datetime) -> None:
    """Publish through the service, then date it when the office would have published it."""
    article_publish(article=article)
    created = at - dt.timedelta(hours=20)
    Article.objects.filter(pk=article.pk).update(published_at=at, created_at=created, updated_at=at)


def public_consents(ctx) -> set[int]:
    """Give the PUBLIC consent to some residents; returns the ids whose consent stands."""
    rng = ctx.rng
    agreed = list(
        Consent.objects.filter(
            street=ctx.street,
            purpose=Consent.Purpose.DATA_USE,
            withdrawn_at__isnull=True,
            resident__isnull=False,  # the resident records (orders' consents name a number)
        )
        .order_by("resident_id")
        .values_list("resident_id", "resident__phone", "given_at")
    )
    rows, standing, now = [], set(), timezone.now()
    for resident_id, phone, given_at in agreed:
        if rng.random() >= PUBLIC_SHARE:
            continue
        # Some weeks after the first consent, but not after today (a resident registered last
        # month had theirs dated next January).
        given = min(given_at + dt.timedelta(days=rng.randrange(0, 60)), now)
        withdrawn = None
        if rng.random() < WITHDRAWN_SHARE:
            withdrawn = min(given + dt.timedelta(days=rng.randrange(30, 300)), now)
        else:
            standing.add(resident_id)
        rows.append(
            Consent(
                street=ctx.street,
                resident_id=resident_id,
                phone=phone,
                purpose=Consent.Purpose.PUBLIC,
                notice_version=CONSENT_VERSION,
                source="demo",
                given_at=given,
                withdrawn_at=withdrawn,
            )
        )
    insert(rows)
    return standing


def add_photos(ctx, consenting: set[int]) -> None:
    """A few photographed services a month over the last year: most to residents whose PUBLIC
    consent stands, one a month to a resident who never gave it (the diary must leave it out)."""
    rng = ctx.rng
    this_month = ctx.today.replace(day=1)
    pictures = [picture(rng, i) for i in range(6)]
    photos = []
    for back in range(12, -1, -1):
        start = add_months(this_month, -back)
        end = add_months(start, 1)
        # Bounds at local midnight, not started_at__date: the same records, found through the
        # index instead of converting every record's time (SQLite calls Python for each).
        records = list(
            ServiceRecord.objects.filter(
                street=ctx.street,
                beneficiary__isnull=False,
                started_at__gte=ctx.moment(start, 0, 0),
                started_at__lt=ctx.moment(end, 0, 0),
            )
            .order_by("started_at", "id")
            .values_list("id", "beneficiary_id", "started_at")
        )
        public = [r for r in records if r[1] in consenting]
        private = [r for r in records if r[1] not in consenting]
        chosen = rng.sample(public, min(PHOTOS_PER_MONTH, len(public)))
        chosen += rng.sample(private, min(PHOTOS_UNPUBLISHABLE_PER_MONTH, len(private)))
        for record_id, _beneficiary, started_at in chosen:
            photo = ServicePhoto(
                street=ctx.street,
                record_id=record_id,
                created_at=started_at + dt.timedelta(hours=1),
            )
            # The same seed draws the same picture for the same record: a file an earlier
            # load wrote is used again rather than written once more.
            content = rng.choice(pictures)
            name = f"service/demo/{ctx.seed}-{record_id}.jpg"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(content))
            photo.image.name = name
            photos.append(photo)
    insert(photos)


def picture(rng, n: int) -> bytes:
    """A small drawn scene (a room, a table, two figures) as a JPEG."""
    wall, floor, coat = PALETTE[n % len(PALETTE)]
    image = Image.new("RGB", (480, 360), wall)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 250, 480, 360], fill=floor)
    draw.rectangle([150, 200, 330, 215], fill=(120, 80, 50))  # a table
    for x, colour in (
        (110 + rng.randrange(0, 20), coat),
        (350 - rng.randrange(0, 20), (90, 90, 90)),
    ):
        draw.ellipse([x - 18, 120, x + 18, 156], fill=(240, 200, 170))  # head
        draw.rectangle([x - 26, 158, x + 26, 250], fill=colour)  # body
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()
