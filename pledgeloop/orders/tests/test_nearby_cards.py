"""The nearby list's cards, written by {% nearby_cards %} (orders/templatetags/nearby_tags.py),
are those the template wrote card by card before (issue 17): held here to that template,
for orders with a site in a compound and without one, with a point and without, overdue,
and with a long description full of characters HTML must escape."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from pledgeloop.orders.models import Order
from pledgeloop.orders.selectors import NearbyOrder
from pledgeloop.orders.templatetags.nearby_tags import nearby_cards
from pledgeloop.orgs.models import Site

from .loop import HOME, triaged_order

pytestmark = pytest.mark.django_db

# The list as orders/member/nearby.html wrote it before the tag.
TEMPLATE = Template(
    "{% load i18n pledgeloop order_tags %}"
    '{% translate "Take this order" as t_take %}{% translate "Details" as t_details %}'
    "{% for item in nearby %}{% with order=item.order %}"
    "{% url 'orders:member_order' order.pk as order_url %}\n"
    '<article class="card order-card" data-order="{{ order.pk }}">\n'
    '  <p class="order-card-head"><a href="{{ order_url }}"><strong>{% category_icon '
    "order.category %} {{ order.category.name }}</strong> #{{ order.pk }}</a> "
    "{% order_state order %}</p>\n"
    '  <p class="order-card-text">{{ order.description|truncatechars:80 }}</p>\n'
    '  <p class="hint">{{ order.community.name }}{% if order.site %} · {{ order.site }}'
    "{% endif %}{% if item.minutes is not None %} · <strong>{% blocktranslate with "
    "m=item.minutes|floatformat:0 %}{{ m }} min walk{% endblocktranslate %}</strong>"
    "{% endif %}</p>\n"
    '  <div class="order-card-actions">\n'
    '    <form method="post" action="{% url \'orders:member_order_action\' order.pk '
    "'claim' %}\">{% csrf_token %}\n"
    '      <button type="submit" class="primary">{{ t_take }}</button>\n'
    "    </form>\n"
    '    <a class="button" href="{{ order_url }}">{{ t_details }}</a>\n'
    "  </div>\n"
    "</article>\n"
    "{% endwith %}{% endfor %}"
)


@pytest.fixture
def nearby(world) -> list[NearbyOrder]:
    compound = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.COMPOUND,
        name="阳光花园",
        latitude=HOME[0],
        longitude=HOME[1],
    )
    building = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.BUILDING,
        name="3幢",
        parent=compound,
        latitude=HOME[0],
        longitude=HOME[1],
    )
    at_building = triaged_order(
        world,
        site=building,
        latitude=HOME[0],
        longitude=HOME[1],
        description="<b>\"漏水\" & '急'</b> " + "厨房水龙头漏水，请帮忙修一下。" * 8,
    )
    at_compound = triaged_order(world, site=compound, code="elderly-children")
    nowhere = triaged_order(
        world, community=world.neighbour, description="楼道灯坏了 <script> Cafe\u0301"
    )
    Order.objects.filter(pk=at_compound.pk).update(
        respond_by=timezone.now() - dt.timedelta(hours=1)
    )
    orders = Order.objects.select_related("category", "community", "site__parent").in_bulk(
        [at_building.pk, at_compound.pk, nowhere.pk]
    )
    # 2.5 minutes rounds up, as |floatformat:0 does; 12.49 down; no point: no minutes.
    return [
        NearbyOrder(orders[at_building.pk], 2.5),
        NearbyOrder(orders[at_compound.pk], 12.49),
        NearbyOrder(orders[nowhere.pk], None),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_cards_are_the_template_s(world, nearby, language):
    request = RequestFactory().get("/me/orders/nearby/")
    request.META["CSRF_COOKIE"] = "k" * 32  # one secret: both forms carry the same token
    with translation.override(language):
        context = Context({"nearby": nearby})
        context.request = request
        context["csrf_token"] = "TOKEN"
        expected = TEMPLATE.render(context)
        written = nearby_cards(context, nearby)
    token = 'name="csrfmiddlewaretoken" value="'
    # The tag asks for the request's token; the template was given a stand-in.
    written = written.split(token)
    written = token.join([written[0], *('TOKEN"' + part.split('"', 1)[1] for part in written[1:])])
    assert written == expected
    assert "&lt;b&gt;&quot;漏水&quot; &amp; &#x27;急&#x27;&lt;/b&gt;" in written
    assert "&lt;script&gt;" in written and "<script>" not in written
    assert "阳光花园 3幢" in written
    assert "Caf\u00e9" in written  # in NFC, as |truncatechars gives it
    assert written.count('class="overdue-tag"') == 1
