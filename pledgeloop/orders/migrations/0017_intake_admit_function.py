"""PostgreSQL's intake_admit(): the intake limits' check and count (orders/throttle.py), run
inside the one statement that writes an order (issue 17). SQLite has no such functions: there
the check runs as its own statement in the order's transaction."""

from django.db import migrations

# VOLATILE, so that each statement in it takes a snapshot of its own (PostgreSQL's function
# volatility rules): the count below sees what the submissions it waited for at the locks
# committed, though the statement that calls it took its snapshot before the wait. The locks
# are held until that statement's transaction ends. Refused: an error (SQLSTATE PL429), so
# that the statement it runs in writes nothing.
CREATE = """
CREATE OR REPLACE FUNCTION intake_admit(
    phone_lock integer, ip_lock integer, address text, phone_number text,
    attempt_at timestamptz, hour_ago timestamptz, day_ago timestamptz,
    per_address integer, per_number integer
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- The number's lock, then the address's (each keyed by the text as sent, as
    -- throttle.intake_admit keys them): one order for every submission.
    PERFORM pg_advisory_xact_lock(phone_lock, hashtext(phone_number));
    IF address IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(ip_lock, hashtext(address));
    END IF;
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
DROP = (
    "DROP FUNCTION IF EXISTS intake_admit(integer, integer, text, text, timestamptz, "
    "timestamptz, timestamptz, integer, integer)"
)


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0016_links_indexed_where_set")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
