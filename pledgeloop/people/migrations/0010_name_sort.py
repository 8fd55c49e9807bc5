# People sorted by their pinyin syllable by syllable (lib.pinyin.person_keys): a key of its
# own, name_sort, filled in here for every user and resident; their name_pinyin and
# name_initials written again, with surnames read as surnames (曾 zeng, not ceng). SQLite
# makes the user and resident tables anew to add the column: their street-version triggers
# go with the old tables and are made again at the end (dropped and made again on
# PostgreSQL's, unchanged).

from django.db import migrations, models

from pledgeloop.lib.pinyin import person_keys
from pledgeloop.orgs.versions import StreetVersionTriggers, StreetVersionUserTrigger

BATCH = 1000


def fill_keys(apps, schema_editor):
    for name in ("User", "Resident"):
        model = apps.get_model("people", name)
        rows = model.objects.using(schema_editor.connection.alias).only("pk", "name")
        changed = []
        for row in rows.order_by("pk").iterator(chunk_size=BATCH):
            row.name_pinyin, row.name_initials, row.name_sort = person_keys(row.name)
            changed.append(row)
            if len(changed) == BATCH:
                model.objects.bulk_update(changed, ["name_pinyin", "name_initials", "name_sort"])
                changed = []
        model.objects.bulk_update(changed, ["name_pinyin", "name_initials", "name_sort"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_community_phone"),
        ("people", "0009_phone_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="name_sort",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="user",
            name="name_sort",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=200),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.AlterModelOptions(
            name="member",
            options={
                "ordering": ["user__name_sort"],
                "verbose_name": "member",
                "verbose_name_plural": "members",
            },
        ),
        migrations.AlterModelOptions(
            name="resident",
            options={
                "ordering": ["name_sort"],
                "verbose_name": "resident",
                "verbose_name_plural": "residents",
            },
        ),
        migrations.AlterModelOptions(
            name="user",
            options={
                "ordering": ["name_sort"],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RemoveIndex(model_name="resident", name="resident_street_pinyin"),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["street", "name_sort"], name="resident_street_sort"),
        ),
        StreetVersionTriggers(["people.Resident"]),
        StreetVersionUserTrigger("people.User", "people.Member"),
    ]
