"""Orders point at their consent (a Consent row: notice version, time, withdrawal), and
record when they were made anonymous. Each existing order's consent timestamp becomes a
Consent row under notice version 1, the notice intake showed until then."""

import django.db.models.deletion
from django.db import migrations, models


def consents_from_timestamps(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Consent = apps.get_model("people", "Consent")
    orders = Order.objects.filter(consent_at__isnull=False, consent__isnull=True)
    for order in orders.iterator(chunk_size=500):
        consent = Consent.objects.create(
            street_id=order.street_id,
            resident_id=order.resident_id,
            phone=order.phone,
            purpose="data_use",
            notice_version="1",
            source=f"order:{order.channel}",
            given_at=order.consent_at,
        )
        Order.objects.filter(pk=order.pk).update(consent=consent)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_order_submitted_once"),
        ("people", "0003_consent_subject_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="made anonymous at"),
        ),
        migrations.AddField(
            model_name="order",
            name="consent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="people.consent",
                verbose_name="consent",
            ),
        ),
        migrations.RunPython(consents_from_timestamps, migrations.RunPython.noop),
    ]
