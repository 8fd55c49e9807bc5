"""The events' unique keys lead with the street, and a project's linked orders and events
become join models with a street of their own (docs/ARCHITECTURE.md, "Sharding by street").

Django cannot turn a many-to-many field's own join table into a `through` model in place
(AlterField refuses to add `through=`), so the links move: the new tables are made, the rows
of the old join tables are copied into them with the project's street, then the old fields
(and their tables) go and the fields come back through the new models.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    Project = apps.get_model("teams", "Project")
    ProjectOrder = apps.get_model("teams", "ProjectOrder")
    ProjectEvent = apps.get_model("teams", "ProjectEvent")
    db = schema_editor.connection.alias
    for field, Link, target in (
        ("orders", ProjectOrder, "order"),
        ("events", ProjectEvent, "event"),
    ):
        Old = Project._meta.get_field(field).remote_field.through
        rows = Old.objects.using(db).values_list("project_id", "project__street_id", f"{target}_id")
        Link.objects.using(db).bulk_create(
            Link(project_id=project, street_id=street, **{f"{target}_id": pk})
            for project, street, pk in rows.iterator()
        )


def copy_links_back(apps, schema_editor):
    Project = apps.get_model("teams", "Project")
    ProjectOrder = apps.get_model("teams", "ProjectOrder")
    ProjectEvent = apps.get_model("teams", "ProjectEvent")
    db = schema_editor.connection.alias
    for field, Link, target in (
        ("orders", ProjectOrder, "order"),
        ("events", ProjectEvent, "event"),
    ):
        Old = Project._meta.get_field(field).remote_field.through
        rows = Link.objects.using(db).values_list("project_id", f"{target}_id")
        Old.objects.using(db).bulk_create(
            Old(project_id=project, **{f"{target}_id": pk}) for project, pk in rows.iterator()
        )


def project_link(name, target, target_name, related_name, verbose_name, unique_name):
    return migrations.CreateModel(
        name=name,
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            (
                "street",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT,
                    to="orgs.street",
                    verbose_name="street",
                ),
            ),
            (
                "project",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=related_name,
                    to="teams.project",
                    verbose_name="project",
                ),
            ),
            (
                target_name,
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to=target,
                    verbose_name=target_name,
                ),
            ),
        ],
        options={
            "verbose_name": f"project's linked {verbose_name}",
            "verbose_name_plural": f"projects' linked {verbose_name}s",
            "constraints": [
                models.UniqueConstraint(fields=("street", "project", target_name), name=unique_name)
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_keys_led_by_street"),
        ("orgs", "0004_keys_led_by_street"),
        ("people", "0005_keys_led_by_street"),
        ("service", "0007_keys_led_by_street"),
        ("teams", "0007_keys_led_by_street"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="attendance", name="attendance_member_once"),
        migrations.RemoveConstraint(model_name="attendance", name="attendance_volunteer_once"),
        migrations.RemoveConstraint(model_name="registration", name="registration_once"),
        migrations.RemoveConstraint(model_name="signup", name="signup_member_once"),
        migrations.RemoveConstraint(model_name="signup", name="signup_volunteer_once"),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", False)),
                fields=("street", "session", "member"),
                name="attendance_member_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.UniqueConstraint(
                condition=models.Q(("volunteer__isnull", False)),
                fields=("street", "session", "volunteer"),
                name="attendance_volunteer_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                fields=("street", "session", "phone"), name="registration_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="signup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", False)),
                fields=("street", "shift", "member"),
                name="signup_member_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="signup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("volunteer__isnull", False)),
                fields=("street", "shift", "volunteer"),
                name="signup_volunteer_once",
            ),
        ),
        # A project's links: new tables with the street, the old rows copied into them.
        project_link(
            "ProjectOrder", "orders.order", "order", "order_links", "order", "project_order_once"
        ),
        project_link(
            "ProjectEvent", "teams.event", "event", "event_links", "event", "project_event_once"
        ),
        migrations.RunPython(copy_links, copy_links_back, elidable=False),
        migrations.RemoveField(model_name="project", name="orders"),
        migrations.RemoveField(model_name="project", name="events"),
        migrations.AddField(
            model_name="project",
            name="orders",
            field=models.ManyToManyField(
                blank=True,
                related_name="projects",
                through="teams.ProjectOrder",
                to="orders.order",
                verbose_name="linked orders",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="events",
            field=models.ManyToManyField(
                blank=True,
                related_name="projects",
                through="teams.ProjectEvent",
                to="teams.event",
                verbose_name="linked events",
            ),
        ),
    ]
