"""A member's home (/me/, orgs/pagecache.signed_in_page) says when they are checked in and
still to check out: writing a check-in now bumps the street's data version too."""

from django.db import migrations

from pledgeloop.orgs.versions import StreetVersionTriggers


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_community_phone"),
        ("service", "0008_records_by_community_and_start"),
    ]

    operations = [
        StreetVersionTriggers(["service.CheckIn"]),
    ]
