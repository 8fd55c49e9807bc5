"""The signed-in page cache (orgs/pagecache.signed_in_page) shows an order's history and
members' skills: writing either now bumps the street's data version too."""

from django.db import migrations

from pledgeloop.orgs.versions import StreetVersionLinkTrigger, StreetVersionTriggers


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0005_street_versions"),
        ("orders", "0013_drop_order_street_created"),
        ("people", "0006_member_active_street_home_index"),
    ]

    operations = [
        StreetVersionTriggers(["orders.OrderEvent"]),
        StreetVersionLinkTrigger("people.Member_skills", "member"),
    ]
