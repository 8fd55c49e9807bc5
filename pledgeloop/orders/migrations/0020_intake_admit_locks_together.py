"""PostgreSQL's intake_admit() (migration 0017) takes its two advisory locks in one statement,
not two: each statement of a PL/pgSQL function is an executor's start and end of its own,
and it runs for every order (issue 17). The number's lock is still taken first: a SELECT
computes its list from left to right. SQLite has no such functions."""

from importlib import import_module

from django.db import migrations

# Migration 0017: the function as it made it (put back when this one is undone), and its
# runner of SQL on PostgreSQL only (a module whose name starts with a digit).
EARLIER = import_module("pledgeloop.orders.migrations.0017_intake_admit_function")

LOCKS_APART = """
    PERFORM pg_advisory_xact_lock(phone_lock, hashtext(phone_number));
    IF address IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(ip_lock, hashtext(address));
    END IF;
"""
LOCKS_TOGETHER = """
    PERFORM pg_advisory_xact_lock(phone_lock, hashtext(phone_number)),
        CASE WHEN address IS NOT NULL
            THEN pg_advisory_xact_lock(ip_lock, hashtext(address)) END;
"""
if EARLIER.CREATE.count(LOCKS_APART) != 1:
    raise RuntimeError("migration 0017's intake_admit() is not the one this migration changes")
# The same function (CREATE OR REPLACE), its two locks in one statement.
CREATE = EARLIER.CREATE.replace(LOCKS_APART, LOCKS_TOGETHER)


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_intake_go_function")]

    operations = [
        migrations.RunPython(EARLIER._on_postgresql(CREATE), EARLIER._on_postgresql(EARLIER.CREATE))
    ]
