"""季度亮绩: public, masked, computed from records with aggregate queries."""

import datetime as dt

from django.urls import reverse

from pledgeloop.orgs.services import community_create
from pledgeloop.reviews.selectors import showcase_members
from pledgeloop.service.models import ServiceRecord

from .conftest import at, new_member, pledge_with_visits, record, review

V = ServiceRecord.Verification


def url(slug="xinggangwan", period="2025q2"):
    return reverse("reviews:showcase", kwargs={"community": slug, "period": period})


def test_showcase_figures_come_from_the_quarter_records(world, client):
    zhang = world.member.member
    li = new_member(world, "13900000201", "李梅")
    pledge_with_visits(
        zhang, [("2025-04-07", "fulfilled"), ("2025-05-05", "missed"), ("2025-07-07", "fulfilled")]
    )
    r1 = record(zhang, at(2025, 4, 10), "2", V.VERIFIED, beneficiary=world.resident_here)
    review(r1, 5)
    review(record(zhang, at(2025, 5, 10), "1.5", V.RECORDED), 3)
    record(zhang, at(2025, 6, 30, 20), "1", V.SELF)
    record(zhang, at(2025, 7, 1), "4", V.VERIFIED)  # Q3: not in this quarter
    review(record([zhang, li], at(2025, 6, 1), "3", V.VERIFIED), 4)  # shared: counted for both
    members = {m.name: m for m in showcase_members(world.community, 2025, 2)}
    z = members["张三"]
    assert (z.hours_total, z.hours_verified, z.hours_recorded, z.hours_self) == (7.5, 5, 1.5, 1)
    assert (z.ratings_count, z.ratings_satisfied) == (3, 2)
    assert round(z.ratings_average, 2) == 4.0
    assert (z.pledges_count, z.visits_due, z.visits_fulfilled) == (1, 2, 1)
    assert (members["李梅"].hours_total, members["李梅"].ratings_count) == (3, 1)

    page = client.get(url())  # public: no login
    text = page.content.decode()
    assert page.status_code == 200
    assert "星港湾" in text and "2025 年第 2 季度" in text
    assert "张三" in text and "李梅" in text and "每月为独居老人测血压" in text
    # 7.5 h; 2 of the 3 reviews satisfied (the shared one once).
    assert "<strong data-hours-total>7.5</strong> 小时" in text and "67%" in text  # with its unit
    assert "（已核实 5 · 工作人员录入 1.5 · 本人登记 1）" in text
    english = client.get(url(), headers={"accept-language": "en"}).content.decode()
    assert "(verified 5 · recorded by staff 1.5 · self-logged 1)" in english
    assert "（" not in english  # the brackets were full-width in English too
    # No resident data on a public page.
    assert world.resident_here.name not in text and "1234" not in text


def test_the_showcase_lists_the_quarters_roster_not_todays(world):
    """It listed today's active members: one who joined after the quarter was counted in it
    (the showcase said 44 members where the quarter's dashboard said 42), and one who left
    since, though they served in it, was not."""
    later = new_member(world, "13900000202", "新来的")
    later.joined_on = dt.date(2025, 10, 8)
    later.save()
    gone = new_member(world, "13900000203", "已调走")
    record(gone, at(2025, 5, 3), "2", V.VERIFIED)
    gone.active, gone.left_on = False, dt.date(2025, 9, 1)
    gone.save()
    names = {m.name for m in showcase_members(world.community, 2025, 2)}
    assert "新来的" not in names and "已调走" in names and "张三" in names
    assert "新来的" in {m.name for m in showcase_members(world.community, 2025, 4)}


def test_showcase_is_one_query_for_all_members(world, client, django_assert_max_num_queries):
    for n in range(10):
        member = new_member(world, f"139000003{n:02d}", f"队员{n}")
        review(record(member, at(2025, 5, 1 + n), "1", V.VERIFIED), 5)
    # (one of them the streets' data versions, the key of the public pages' cache)
    with django_assert_max_num_queries(9):
        assert client.get(url()).status_code == 200


def test_an_ambiguous_community_slug_takes_street_from_the_query(world, client):
    community_create(street=world.other_street, name="和平星港湾", slug="xinggangwan")
    assert "江海街道" in client.get(url()).content.decode()  # the first street by default
    page = client.get(url() + "?street=heping")
    assert "和平星港湾" in page.content.decode()
    assert client.get(url() + "?street=nowhere").status_code == 404


def test_unknown_community_or_quarter_is_404(world, client):
    assert client.get(url(slug="nowhere")).status_code == 404
    assert client.get("/showcase/xinggangwan/2025q0/").status_code == 404


def test_the_showcase_leads_with_members_who_served_and_folds_the_rest(world, client):
    """Issue 14, part 7: those with service in the quarter come first, as cards; the members
    with all-zero figures are folded into one <details> list of names after them."""
    zhang = world.member.member
    served = new_member(world, "13900000202", "王芳")
    idle = [new_member(world, f"1390000030{n}", f"闲{n}") for n in range(3)]
    record(zhang, at(2025, 4, 10), "2", V.VERIFIED)
    record(served, at(2025, 5, 10), "1", V.SELF)
    text = client.get(url()).content.decode()
    cards, _sep, folded = text.partition("<details")
    assert "张三" in cards and "王芳" in cards
    assert cards.count('class="card showcase-member"') == 2
    assert "</details>" in folded
    summary = folded.split("</summary>")[0]
    assert "3" in summary  # how many are folded
    for member in idle:
        assert member.name not in cards and member.name in folded.split("</details>")[0]


def test_the_quarter_under_way_says_it_counts_to_today(world, client, time_machine):
    """The running quarter's showcase gave its whole dates, to 31 December, in November; and
    its brackets were full-width in English too."""
    time_machine.move_to(dt.datetime(2026, 11, 30, 4, tzinfo=dt.UTC), tick=False)
    running = client.get(url(period="2026q4")).content.decode()
    assert "2026年10月1日至今天（2026年11月30日）" in running
    assert 'href="../2027q1/"' not in running  # the next quarter has not begun
    ended = client.get(url(period="2026q3")).content.decode()
    assert "2026年7月1日 – 2026年9月30日" in ended and 'href="../2026q4/"' in ended
    english = client.get(url(period="2026q3"), headers={"accept-language": "en"}).content.decode()
    assert "July 1, 2026 – Sept. 30, 2026" in english and "（" not in english
