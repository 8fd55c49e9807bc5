"""PostgreSQL's intake_go(): where an order's one statement (orders.services.order_submit)
found, in its own read, that it must write nothing, it stops it with an error, so that none
of its rows is written. SQLite has no such functions, and reads before it writes."""

from importlib import import_module

from django.db import migrations

# SQLSTATE PL409: orders.services.STOPPED_SQLSTATE. VOLATILE, so that it is called where the
# statement says, for its source row, never folded or moved.
CREATE = """
CREATE OR REPLACE FUNCTION intake_go(earlier bigint, desk_current boolean)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF earlier IS NOT NULL OR NOT desk_current THEN
        RAISE EXCEPTION 'intake: filed already, or the desk changed' USING ERRCODE = 'PL409';
    END IF;
    RETURN true;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS intake_go(bigint, boolean)"


# Migration 0017's runner of SQL on PostgreSQL only (a module whose name starts with a digit).
_on_postgresql = import_module(
    "pledgeloop.orders.migrations.0017_intake_admit_function"
)._on_postgresql


class Migration(migrations.Migration):
    dependencies = [("orders", "0018_order_tracking_token_index")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
