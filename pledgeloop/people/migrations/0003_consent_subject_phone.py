"""Consents get a subject phone number (an order's consent may have no resident record), and
the notice version the Excel import wrote before notices were versioned ("2026-01") becomes
version 1 of people/notices.py."""

import django.db.models.deletion
from django.db import migrations, models


def fill_phone_and_version(apps, schema_editor):
    Consent = apps.get_model("people", "Consent")
    Consent.objects.filter(notice_version="2026-01").update(notice_version="1")
    for consent in (
        Consent.objects.filter(phone="", resident__isnull=False)
        .select_related("resident")
        .iterator(chunk_size=500)
    ):
        consent.phone = consent.resident.phone
        consent.save(update_fields=["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("people", "0002_member_roster_dates"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="consent",
            options={
                "ordering": ["-given_at", "-id"],
                "verbose_name": "consent",
                "verbose_name_plural": "consents",
            },
        ),
        migrations.AddField(
            model_name="consent",
            name="phone",
            field=models.CharField(
                blank=True, db_index=True, max_length=11, verbose_name="mobile number"
            ),
        ),
        migrations.AlterField(
            model_name="consent",
            name="resident",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="consents",
                to="people.resident",
                verbose_name="resident",
            ),
        ),
        migrations.RunPython(fill_phone_and_version, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("resident__isnull", False),
                    models.Q(("phone", ""), _negated=True),
                    _connector="OR",
                ),
                name="consent_has_a_subject",
            ),
        ),
    ]
