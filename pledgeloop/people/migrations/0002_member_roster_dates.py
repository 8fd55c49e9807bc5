"""The roster over time: Member.joined_on and Member.left_on, filled from existing data.

joined_on = the earlier of the day the member's account was made and the day of their first
service record (a record can be back-dated before the account). left_on, for members already
inactive: the day after their last service record (they were on the roster while serving);
an inactive member with no record keeps no left_on and stays out of every period, as before.
"""

import datetime as dt

from django.db import migrations, models
from django.db.models import Max, Min
from django.utils import timezone

BATCH = 500


def fill_roster(apps, schema_editor):
    Member = apps.get_model("people", "Member")
    Participant = apps.get_model("service", "ServiceParticipant")
    spans = {
        row["member_id"]: (row["first"], row["last"])
        for row in Participant.objects.values("member_id")
        .annotate(first=Min("record__started_at"), last=Max("record__started_at"))
        .order_by()
    }
    changed = []
    for member in Member.objects.select_related("user").order_by("pk").iterator():
        first, last = spans.get(member.pk, (None, None))
        days = [timezone.localdate(member.user.date_joined)]
        if first is not None:
            days.append(timezone.localdate(first))
        member.joined_on = min(days)
        if not member.active and last is not None:
            member.left_on = max(timezone.localdate(last) + dt.timedelta(days=1), member.joined_on)
        changed.append(member)
        if len(changed) >= BATCH:
            Member.objects.bulk_update(changed, ["joined_on", "left_on"])
            changed = []
    Member.objects.bulk_update(changed, ["joined_on", "left_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("people", "0001_initial"),
        ("service", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="joined_on",
            field=models.DateField(
                blank=True,
                help_text="Empty: since before the records began.",
                null=True,
                verbose_name="on the roster since",
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="left_on",
            field=models.DateField(
                blank=True,
                help_text="The first day no longer a member; empty while still one.",
                null=True,
                verbose_name="left the roster on",
            ),
        ),
        migrations.RunPython(fill_roster, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("left_on__isnull", True),
                    ("joined_on__isnull", True),
                    ("left_on__gte", models.F("joined_on")),
                    _connector="OR",
                ),
                name="member_leaves_after_joining",
                violation_error_message="A member cannot leave before joining the roster.",
            ),
        ),
    ]
