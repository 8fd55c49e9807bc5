from django.db import migrations, models

from pledgeloop.orgs.versions import StreetVersionTriggers


class Migration(migrations.Migration):
    # The consent number's index is the model's (consent_phone), not the field's db_index,
    # which on PostgreSQL also made an index for LIKE that nothing asks (issue 17). SQLite
    # makes the table anew to drop the field's index: its street-version triggers go with
    # the old table and are made again here (a no-op on PostgreSQL's).
    dependencies = [
        ("orgs", "0007_community_phone"),
        ("people", "0011_consent_resident_indexed_where_set"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="phone",
            field=models.CharField(blank=True, max_length=11, verbose_name="mobile number"),
        ),
        migrations.AddIndex(
            model_name="consent",
            index=models.Index(fields=["phone"], name="consent_phone"),
        ),
        StreetVersionTriggers(["people.Consent"]),
    ]
