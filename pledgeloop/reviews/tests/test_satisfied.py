"""Satisfied = rated 4 or 5: one definition (Review.SATISFIED_MIN) in its three forms."""

from django.db import connection

from pledgeloop.reviews.models import Review

from .conftest import at, record, review


def test_satisfied_is_the_same_rule_on_a_row_in_the_orm_and_in_sql(world):
    member = world.member.member
    reviews = [review(record(member, at(2025, 4, day), "1"), day) for day in range(1, 6)]
    on_rows = {r.pk for r in reviews if r.satisfied}
    in_orm = set(Review.objects.filter(Review.satisfied_q()).values_list("pk", flat=True))
    table = connection.ops.quote_name(Review._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v.id FROM {table} v WHERE {Review.satisfied_sql('v.rating')}")  # noqa: S608
        in_sql = {row[0] for row in cursor.fetchall()}
    rated = {r.pk: r.rating for r in reviews}
    assert on_rows == in_orm == in_sql
    assert sorted(rated[pk] for pk in on_rows) == [4, 5]
    assert Review.SATISFIED_MIN == Review.Rating.SATISFIED
