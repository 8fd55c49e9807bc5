"""The demo street (DESIGN.md §8): generated raw records, deterministic for a seed.

Each capability adds its history by appending a step to STEPS: a function
`build(ctx: DemoContext) -> None`. Every step draws from its own random stream (seeded
from the seed and the step's name), so adding a step never changes what earlier steps
generate.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from pledgeloop.notify.models import Notification
from pledgeloop.orders.desk import desk_changed

STEPS = [
    "pledgeloop.demo.orgs.build",
    "pledgeloop.demo.people.build",
    "pledgeloop.demo.pledges.build",
    "pledgeloop.demo.orders.build",
    # Teams, positions of the service circle and projects (demo/teams.py): they take some
    # done orders as their teams' and add no record, so the figures above stand.
    "pledgeloop.demo.teams.build",
    # Events (issue 15): the March fair, on-order sessions, the skills course (demo/events.py),
    # served by the teams above.
    "pledgeloop.demo.events.build",
    # The API key `make run` prints (demo/api.py)
    "pledgeloop.demo.api.build",
    # Keep these two last: they measure the records earlier steps wrote (orders, pledges)
    # and top up to the indicators of DESIGN.md §5.
    "pledgeloop.demo.service.build",
    "pledgeloop.demo.reviews.build",
    # After the records and reviews it writes up: a year of the street's diary.
    "pledgeloop.demo.diary.build",
]

# One demo login per role, printed by `make run` (manage.py demo_logins).
DEMO_LOGINS = [
    ("street_admin", "13900000001"),
    ("community_admin", "13900000002"),
    ("member", "13900000003"),
    ("resident", "13900000004"),
]


@dataclass
class DemoContext:
    seed: int
    today: dt.date
    rng: random.Random
    street: object = None
    communities: dict = field(default_factory=dict)  # slug -> Community
    sites: dict = field(default_factory=dict)  # community slug -> list[Site]
    categories: dict = field(default_factory=dict)  # code -> Category
    members: list = field(default_factory=list)
    residents: list = field(default_factory=list)
    used_phones: set = field(default_factory=set)

    def phone(self) -> str:
        """A fresh, unique, realistic mainland mobile number."""
        while True:
            prefix = self.rng.choice(
                [
                    "133",
                    "135",
                    "136",
                    "137",
                    "138",
                    "139",
                    "150",
                    "151",
                    "152",
                    "157",
                    "158",
                    "159",
                    "177",
                    "180",
                    "181",
                    "186",
                    "187",
                    "188",
                ]
            )
            number = prefix + "".join(str(self.rng.randrange(10)) for _ in range(8))
            if number not in self.used_phones and not number.startswith("139000000"):
                self.used_phones.add(number)
                return number

    def moment(self, day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def demo_load(*, seed: int = 2026, today: dt.date | None = None) -> DemoContext:
    today = today or timezone.localdate()
    ctx = DemoContext(seed=seed, today=today, rng=random.Random(seed))
    with transaction.atomic():
        demo_steps(ctx, STEPS)
        demo_finish()
    return ctx


def demo_steps(ctx: DemoContext, steps: list[str]) -> None:
    """Run `steps` (names from STEPS, in order), each with its own random stream.

    demo_load runs them all; the demo's tests run them a few at a time, to read the street
    between steps."""
    for step in steps:
        ctx.rng = random.Random(f"{ctx.seed}:{step}")
        import_string(step)(ctx)


def demo_finish() -> None:
    """What demo_load does after the last step."""
    # Steps bulk-create sites, users and roles, which send no signals.
    desk_changed()
    # The history's notifications went out when they were made: nothing waits to be sent.
    Notification.objects.filter(state=Notification.State.WAITING).update(
        state=Notification.State.DONE, handled_at=F("created_at")
    )
