"""PostgreSQL's intake_admit() (migration 0017) takes its two advisory locks in one statement,
not two: each statement of a PL/pgSQL function is an executor's start and end of its own,
and it runs for every order (issue 17). The number's lock is still taken first: a SELECT
computes its list from left to right. SQLite has no such functions."""

from importlib import import_module

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION intake_admit(
    phone_lock integer, ip_lock integer, address text, phone_number text,
    attempt_at timestamptz, hour_ago timestamptz, day_ago timestamptz,
    per_address integer, per_number integer
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- The number's lock, then the address's (each keyed by the text as sent, as
    -- throttle.intake_admit keys them): one order for every submission.
    PERFORM pg_advisory_xact_lock(phone_lock, hashtext(phone_number)),
        CASE WHEN address IS NOT NULL
            THEN pg_advisory_xact_lock(ip_lock, hashtext(address)) END;
    INSERT INTO orders_intakeattempt (ip, phone, at)
    SELECT address::inet, phone_number, attempt_at
    WHERE (SELECT count(*) FROM (
               SELECT 1 FROM orders_intakeattempt AS a
               WHERE a.ip = address::inet AND a.at > hour_ago LIMIT per_address) AS recent
           ) < per_address
      AND (SELECT count(*) FROM (
               SELECT 1 FROM orders_intakeattempt AS a
               WHERE a.phone = phone_number AND a.at > day_ago LIMIT per_number) AS recent
           ) < per_number;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'intake limit reached' USING ERRCODE = 'PL429';
    END IF;
    RETURN true;
END
$$;
"""


def _create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def _back(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # The function as migration 0017 made it (a module whose name starts with a digit).
        earlier = import_module("pledgeloop.orders.migrations.0017_intake_admit_function")
        schema_editor.execute(earlier.CREATE)


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_intake_go_function")]

    operations = [migrations.RunPython(_create, _back)]
