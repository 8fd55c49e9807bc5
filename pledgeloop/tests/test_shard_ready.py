"""Ready to shard by street (issue 17 part 5; docs/ARCHITECTURE.md, "Sharding by street").

On Citus, every tenant table is a distributed table with `street_id` as its distribution
column, and Citus accepts a unique constraint (or unique index) on a distributed table only if
it includes that column; an index that leads with it serves a street's query within its shard.
So this test walks every model of every installed app and holds each one to that:

- a tenant table has its own `street` foreign key to orgs.Street (not one reached through a
  parent row);
- every unique constraint, unique_together and unique field of it leads with `street`;
- every index it declares (Meta.indexes, or db_index on a field that is not a foreign key)
  leads with `street`.

A table that is not a tenant table is listed in REFERENCE or LOCAL below with the reason, and
the few deliberate exceptions on tenant tables (a lookup by a link that carries no street; one
row per parent row) are listed with theirs. Adding a model, a constraint or an index that
breaks the rule fails the test until it is fixed or listed here, with a reason, and in the
architecture's table map (the last test checks that every table appears there).

The primary key `id` (and the indexes Django gives foreign keys, or lib/indexes.py's in their
place, over the rows where the key is set) are not checked: moving to
Citus rewrites them to (street_id, id) / composite foreign keys in one migration, as Citus's
Django guide does; see docs/ARCHITECTURE.md.
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.test.utils import isolate_apps

from pledgeloop.lib.indexes import index_where_set

# Citus reference tables: copied to every node, joinable with any street's rows.
REFERENCE = {
    "orgs.Street": "the distribution key's own table: every tenant row points at one",
    "people.User": "a person signs in once for the whole city (phone login) and may hold "
    "roles in several streets",
    "people.User_groups": "Django's auth, with the user",
    "people.User_user_permissions": "Django's auth, with the user",
    "auth.Group": "Django's auth, city-wide",
    "auth.Group_permissions": "Django's auth, city-wide",
    "auth.Permission": "Django's auth, city-wide",
    "contenttypes.ContentType": "Django's model registry, city-wide",
    "orders.DeskRevision": "one row every process reads on each intake request",
    "stats.RollupState": "one row: where the rollup job stands, city-wide",
}

# Citus local tables: kept on the coordinator only, never joined with a street's rows.
LOCAL = {
    "people.Session": "a browser's session, looked up by its key before any street is known "
    "(its read joins the user and their grants: notify/sessions.py, see ARCHITECTURE)",
    "sessions.Session": "Django's own sessions' table, no longer read (people.Session is)",
    "admin.LogEntry": "Django admin's log, superusers only",
    "people.LoginFailure": "sign-in lockout by phone number, before any street is known",
    "orders.IntakeAttempt": "intake limits by client address and phone, city-wide by design",
    "privacy.OneTimeCode": "a person's SMS code for /my/, by phone number, city-wide",
    "notify.ShortLink": "/t/<code>/ resolves a code from an SMS, which carries no street",
    "pledgeloop_tasks.JobRun": "the scheduler's last runs, city-wide jobs",
    "django_tasks_database.DBTaskResult": "the task queue of the workers",
    "reviews.SharedAnnualSummary": "the annual review's summary kept for the worker processes "
    "(reviews/shared.py), looked up by its cache key: plain numbers, never joined",
}

# Tenant tables' many-to-many join tables Django makes itself (no model of ours to give a
# street column): still to be turned into explicit join models with `street` (issue 17).
JOIN_TABLES_LEFT = {
    "people.Member_skills": "member × category, both of one street",
    "teams.Team_skills": "team × category, both of one street",
    "teams.Volunteer_skills": "volunteer × category, both of one street",
    "teams.Position_services": "position × category, both of one street",
}

# One row per parent row of the same street (a one-to-one field, so unique on its own).
# On Citus the move rewrites the parent's key to (street_id, id) and this unique index to
# (street_id, <field>_id) with it, like the primary keys. Member.user and Resident.user point
# at the city-wide User: on Citus the index becomes (street_id, user_id), and "one member
# record per person" is kept by people.services (member_create looks the user up first).
ONE_PER_PARENT = {
    ("people.Member", "user"): "a person's one member record",
    ("people.Resident", "user"): "a resident's own sign-in, when they have one",
    ("service.CheckIn", "record"): "the record a check-in became",
    ("service.SiteScreen", "site"): "one check-in screen per site",
    ("reviews.Review", "record"): "one review per service record",
    ("teams.Position", "site"): "a site is at most one position",
    ("teams.Event", "order"): "the on-order session a place's order became",
    ("teams.QueueTicket", "record"): "the service record a queue number received",
    ("teams.Attendance", "record"): "the service record an attendance wrote",
    ("api.ApiOrder", "order"): "the order filed through the API (its primary key)",
}

# Indexes on tenant tables that do not lead with street, on purpose. A link that carries no
# street (a tracking link, a member's QR page, an API key) is looked up by its token alone:
# on Citus that lookup is a multi-shard query, each shard answering from this index. The
# tokens themselves are unique together with street (see the models).
STREETLESS_INDEXES = {
    ("orders.Order", "order_tracking_token"): "the resident's /track/<token>/ link",
    ("people.Member", "code"): "the member's public page /m/<code>/ and QR",
    ("diary.Article", "slug"): "the diary's /diary/<slug>/ link",
    ("service.SiteScreen", "key"): "a site's check-in screen link",
    ("api.ApiToken", "digest"): "an API key's digest, from the Authorization header",
    ("people.Consent", "consent_phone"): "a person's consents at /my/, by phone number, city-wide",
    # The rest of a person's rows at /my/, found the same way (privacy/tests/test_lookups.py).
    ("orders.Order", "order_phone"): "a person's orders at /my/, by phone number, city-wide",
    ("people.Resident", "resident_phone"): "a person's resident records at /my/, city-wide",
    ("teams.Registration", "registration_phone"): "a person's event registrations at /my/",
    ("teams.Volunteer", "volunteer_phone"): "a volunteer's profile at /my/, city-wide",
    ("privacy.DeletionRequest", "deletionrequest_phone"): "a person's deletion requests at /my/",
    ("api.ApiOrder", "public_token"): "the order id other systems hold",
    # Work queues drained city-wide by one worker: each shard scans its own part.
    ("notify.Notification", "notification_outbox"): "the outbox of unsent messages",
    ("api.WebhookDelivery", "next_attempt_at"): "the webhook deliveries due",
}


def _street_key(model) -> bool:
    field = next((f for f in model._meta.concrete_fields if f.name == "street"), None)
    if field is None or not (field.many_to_one or field.one_to_one):
        return False
    target = field.remote_field.model
    return (target if isinstance(target, str) else target._meta.label) == "orgs.Street"


def _leads(fields) -> bool:
    return bool(fields) and fields[0].lstrip("-") == "street"


def _index_leads(index) -> bool:
    """An index of field names, or of expressions (F("street"), F("created_at").desc()),
    whose first column is the street."""
    if index.fields:
        return _leads(index.fields)
    if not index.expressions:
        return False
    first = index.expressions[0]
    first = getattr(first, "expression", first)  # an OrderBy (.desc()) wraps its F
    return isinstance(first, F) and first.name == "street"


def _foreign_key_index(model, index) -> bool:
    """A foreign key's own index over the rows where it is set (lib/indexes.py), in place of
    the one Django gives it."""
    if index.expressions or len(index.fields) != 1:
        return False
    field = model._meta.get_field(index.fields[0])
    return field.is_relation and index.condition == Q(**{f"{field.name}__isnull": False})


def shard_problems(model) -> list[str]:
    """What keeps this model's table from being distributed by street (empty: nothing)."""
    label = model._meta.label
    if label in REFERENCE or label in LOCAL or label in JOIN_TABLES_LEFT:
        return []
    problems = []
    if not _street_key(model):
        problems.append(f"{label}: no `street` foreign key (or list it as a reference table)")
    for field in model._meta.concrete_fields:
        if field.primary_key and not field.is_relation:
            continue
        if field.unique and field.name != "street":
            if field.one_to_one and (label, field.name) in ONE_PER_PARENT:
                continue
            problems.append(f"{label}.{field.name}: unique on its own, not led by street")
        elif (
            field.db_index
            and not field.is_relation
            and (label, field.name) not in STREETLESS_INDEXES
        ):
            problems.append(f"{label}.{field.name}: indexed on its own, not led by street")
    for fields in model._meta.unique_together:
        if not _leads(fields):
            problems.append(f"{label}: unique_together {fields} not led by street")
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and not _leads(constraint.fields):
            problems.append(f"{label}: unique constraint {constraint.name} not led by street")
    for index in model._meta.indexes:
        if _foreign_key_index(model, index):
            continue
        if not _index_leads(index) and (label, index.name) not in STREETLESS_INDEXES:
            shown = index.fields or [str(e) for e in index.expressions]
            problems.append(f"{label}: index {index.name} {shown} not led by street")
    return problems


def every_model():
    return apps.get_models(include_auto_created=True)


@pytest.mark.parametrize("model", every_model(), ids=lambda m: m._meta.label)
def test_every_table_is_ready_to_shard_by_street(model):
    assert shard_problems(model) == []


def test_the_lists_name_only_tables_and_fields_that_exist():
    labels = {m._meta.label for m in every_model()}
    listed = set(REFERENCE) | set(LOCAL) | set(JOIN_TABLES_LEFT)
    assert listed <= labels, listed - labels
    assert not set(REFERENCE) & set(LOCAL)
    for label, name in ONE_PER_PARENT:
        assert apps.get_model(label)._meta.get_field(name).one_to_one, (label, name)
    for label, name in STREETLESS_INDEXES:
        model = apps.get_model(label)
        fields = {f.name for f in model._meta.concrete_fields if f.db_index}
        assert name in fields | {i.name for i in model._meta.indexes}, (label, name)


def test_the_architecture_maps_every_table():
    """docs/ARCHITECTURE.md names every table as distributed, reference or local."""
    text = (Path(settings.BASE_DIR) / "docs" / "ARCHITECTURE.md").read_text()
    section = text.split("## Sharding by street", 1)[1].split("\n## ", 1)[0]
    missing = [m._meta.db_table for m in every_model() if f"`{m._meta.db_table}`" not in section]
    assert missing == []


# --- the check catches what it is for ------------------------------------------------------


@isolate_apps("pledgeloop.orgs")
def test_a_tenant_model_without_street_is_caught():
    class Note(models.Model):  # noqa: DJ008 (a throwaway model)
        community = models.ForeignKey("orgs.Community", on_delete=models.CASCADE)

        class Meta:
            app_label = "orgs"

    assert any("no `street`" in p for p in shard_problems(Note))


@isolate_apps("pledgeloop.orgs")
def test_a_street_that_is_not_a_foreign_key_is_caught():
    class Note(models.Model):  # noqa: DJ008 (a throwaway model)
        street_name = models.CharField(max_length=10)

        class Meta:
            app_label = "orgs"

    assert any("no `street`" in p for p in shard_problems(Note))


@isolate_apps("pledgeloop.orgs")
def test_uniques_and_indexes_not_led_by_street_are_caught():
    class Note(models.Model):  # noqa: DJ008 (a throwaway model)
        street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE)
        community = models.ForeignKey("orgs.Community", on_delete=models.CASCADE)
        token = models.CharField(max_length=20, unique=True)
        day = models.DateField(db_index=True)
        title = models.CharField(max_length=20)
        kind = models.CharField(max_length=20)

        class Meta:
            app_label = "orgs"
            unique_together = [("kind", "street")]
            constraints = [
                models.UniqueConstraint(fields=["community", "title"], name="note_title"),
                models.UniqueConstraint(fields=["street", "kind", "title"], name="note_fine"),
            ]
            indexes = [
                models.Index(fields=["community", "day"], name="note_day"),
                models.Index(fields=["street", "day"], name="note_fine_day"),
                models.Index(F("day").desc(), F("street"), name="note_day_expr"),
                models.Index(F("street"), F("day").desc(), name="note_fine_expr"),
                # A foreign key's own index where it is set passes, as Django's own would;
                # not so a plain field's, nor a foreign key's under another condition.
                index_where_set("community", "note_fine_community"),
                index_where_set("title", "note_set_title"),
                models.Index(fields=["community"], condition=Q(kind="x"), name="note_x_community"),
            ]

    problems = "\n".join(shard_problems(Note))
    assert "Note.token: unique on its own" in problems
    assert "Note.day: indexed on its own" in problems
    assert "unique_together ('kind', 'street')" in problems
    assert "note_title" in problems and "note_fine" not in problems
    assert "note_day" in problems and "note_fine_day" not in problems
    assert "note_day_expr" in problems and "note_fine_expr" not in problems
    assert "note_set_title" in problems and "note_x_community" in problems
    assert "note_fine_community" not in problems


@isolate_apps("pledgeloop.orgs")
def test_a_model_that_follows_the_rule_passes():
    class Note(models.Model):  # noqa: DJ008 (a throwaway model)
        street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE)
        token = models.CharField(max_length=20)

        class Meta:
            app_label = "orgs"
            constraints = [models.UniqueConstraint(fields=["street", "token"], name="note_tok")]

    assert shard_problems(Note) == []
