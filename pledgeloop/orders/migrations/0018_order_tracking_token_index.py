import pledgeloop.orders.models
from django.conf import settings
from django.db import migrations, models

from pledgeloop.orgs.versions import StreetVersionTriggers


class Migration(migrations.Migration):
    # The tracking token's index is the model's (order_tracking_token), not the field's
    # db_index, which on PostgreSQL also made an index for LIKE that nothing asks (issue 17).
    # SQLite makes the table anew to drop the field's index: its street-version triggers go
    # with the old table and are made again here (a no-op on PostgreSQL's).
    dependencies = [
        ("orders", "0017_intake_admit_function"),
        ("orgs", "0007_community_phone"),
        ("people", "0011_consent_resident_indexed_where_set"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="tracking_token",
            field=models.CharField(
                default=pledgeloop.orders.models.new_tracking_token, editable=False, max_length=40
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["tracking_token"], name="order_tracking_token"),
        ),
        StreetVersionTriggers(["orders.Order"]),
    ]
