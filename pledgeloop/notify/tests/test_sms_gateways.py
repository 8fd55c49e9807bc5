"""The Alibaba Cloud and Tencent Cloud senders, through their real SDKs, against a local HTTP
endpoint that answers as each documented API does (tests/gateways.py)."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledgeloop.notify.checks import senders_configured
from pledgeloop.notify.links import short_link_target
from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.notify.services import notifications_send, notify
from pledgeloop.notify.sms import AlibabaSmsSender, TencentSmsSender

from .gateways import BAD_TEMPLATE, OK, RATE_LIMITED, GatewayStandIn

pytestmark = pytest.mark.django_db

SENDERS = {
    "alibaba": "pledgeloop.notify.sms.AlibabaSmsSender",
    "tencent": "pledgeloop.notify.sms.TencentSmsSender",
}
TEMPLATES = {"alibaba": "SMS_480210001", "tencent": "2045120"}


@pytest.fixture(params=["alibaba", "tencent"])
def gateway(request, settings):
    vendor = request.param
    with GatewayStandIn(vendor) as stand_in:
        settings.SMS = {
            "ACCESS_KEY_ID": "LTAI-test-key",
            "ACCESS_KEY_SECRET": "test-secret",
            "SIGN_NAME": "江海街道",
            "SDK_APP_ID": "1400123456",
            "TEMPLATES": {"order_filed": TEMPLATES[vendor]},
            "ENDPOINT": stand_in.endpoint,
            "PROTOCOL": "http",
            "REGION": "",
            "TIMEOUT_SECONDS": 5,
        }
        settings.NOTIFY_SENDERS = [SENDERS[vendor]]
        yield stand_in


def filed_text(world, **fields) -> Notification:
    values = {
        "phone": "13812345678",
        "kind": "order_filed",
        "title": "您的需求（单号42）已登记",
        "url": "/track/tracking-token-of-order-42/",
        "params": {"order": "42"},
        "street_id": world.street.pk,
        "community_id": world.community.pk,
    }
    values.update(fields)
    return notify(**values)


def test_the_gateway_takes_the_text_with_its_template_parameters_and_key(world, gateway):
    notification = filed_text(world)
    assert notifications_send() == 1
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == Delivery.Status.ACCEPTED and delivery.address == "138****5678"
    (message,) = gateway.accepted
    assert message["key"] == f"pl{notification.pk}"
    assert message["template"] == TEMPLATES[gateway.vendor]
    action, sent, headers = gateway.requests[0]
    assert action == "SendSms"
    if gateway.vendor == "alibaba":
        assert delivery.gateway_id == "000001^0"
        assert sent["OutId"] == f"pl{notification.pk}" and sent["SignName"] == "江海街道"
        assert sent["PhoneNumbers"] == "13812345678"
        params = json.loads(sent["TemplateParam"])
        assert headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-test-key")
    else:
        assert delivery.gateway_id == "2645:000001"
        assert sent["SessionContext"] == f"pl{notification.pk}"
        assert sent["PhoneNumberSet"] == ["+8613812345678"] and sent["SmsSdkAppId"] == "1400123456"
        assert sent["SignName"] == "江海街道"
        # Tencent's parameters are positional, in the template's order: order, link.
        params = dict(zip(["order", "link"], sent["TemplateParamSet"], strict=True))
        assert headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=LTAI-test-key")
    assert params["order"] == "42"
    # The link parameter is a short code that leads to the tracking page.
    assert len(params["link"]) == 10
    assert short_link_target(params["link"]) == "/track/tracking-token-of-order-42/"
    assert Notification.objects.get(pk=notification.pk).state == "done"


def test_a_rate_limited_text_is_tried_again_later(world, gateway):
    gateway.answer = RATE_LIMITED
    notification = filed_text(world)
    notifications_send()
    delivery = Delivery.objects.get(notification=notification)
    notification.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRY
    code = {"alibaba": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumber"}
    assert delivery.detail.startswith(code[gateway.vendor])
    assert notification.state == "waiting" and notification.attempts == 1
    assert notification.next_attempt_at > timezone.now()
    assert not gateway.accepted
    # Later, the gateway takes it.
    gateway.answer = OK
    notifications_send(now=notification.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED and delivery.attempts == 2
    assert len(gateway.accepted) == 1


def test_a_bad_template_fails_at_once_with_the_gateways_reason(world, gateway):
    gateway.answer = BAD_TEMPLATE
    notification = filed_text(world)
    notifications_send()
    notification.refresh_from_db()
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == Delivery.Status.FAILED
    reason = {
        "alibaba": "isv.SMS_TEMPLATE_ILLEGAL: 该账号下找不到对应模板",
        "tencent": "FailedOperation.TemplateIncorrectOrUnapproved",
    }
    assert reason[gateway.vendor] in delivery.detail
    assert notification.state == "failed" and reason[gateway.vendor] in notification.last_error
    assert notification.attempts == 0  # not retried: a retry cannot fix a template


def test_an_unanswered_text_the_gateway_has_is_not_sent_again(world, gateway):
    """The worker died after handing it over: the next attempt finds it at the gateway."""
    notification = filed_text(world)
    key = f"pl{notification.pk}"
    phone = "13812345678" if gateway.vendor == "alibaba" else "+8613812345678"
    gateway.take(phone, key, TEMPLATES[gateway.vendor], None)
    Delivery.objects.create(
        street_id=notification.street_id,
        notification=notification,
        channel="sms",
        status="sending",
        attempts=1,
    )
    notifications_send()
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == Delivery.Status.ACCEPTED
    assert "not sent again" in delivery.detail
    assert gateway.counts[key] == 1
    look_up = {"alibaba": "QuerySendDetails", "tencent": "PullSmsSendStatusByPhoneNumber"}
    assert [action for action, _sent, _headers in gateway.requests] == [look_up[gateway.vendor]]


def test_an_unanswered_text_the_gateway_does_not_have_is_sent(world, gateway):
    notification = filed_text(world)
    Delivery.objects.create(
        street_id=notification.street_id,
        notification=notification,
        channel="sms",
        status="sending",
        attempts=1,
    )
    notifications_send()
    assert Delivery.objects.get(notification=notification).status == "accepted"
    assert gateway.counts[f"pl{notification.pk}"] == 1
    assert [action for action, _sent, _headers in gateway.requests][-1] == "SendSms"


def test_a_kind_without_a_template_is_not_sent_and_says_why(world, gateway):
    notify(user=world.member, kind="dispatch", title="新的派单")
    notifications_send()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "no SMS template for “dispatch”" in delivery.detail
    assert not gateway.requests


def test_texts_without_a_template_are_skipped_without_a_write_each(world, gateway):
    """Known before anything is sent: no "sending" first, and the skips are recorded with the
    batch's end (the outbox's next write), not one write each."""
    for n in range(3):
        notify(user=world.member, kind="dispatch", title=f"新的派单{n}")
    with CaptureQueriesContext(connection) as queries:
        assert notifications_send() == 3
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    # The claim; the three skips in one statement; the three notifications closed.
    assert len(writes) == 3 and "ON CONFLICT" in writes[1]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SKIPPED}
    assert set(Notification.objects.values_list("state", flat=True)) == {"done"}
    assert not gateway.requests


@pytest.mark.parametrize("sender", [AlibabaSmsSender, TencentSmsSender])
def test_a_gateway_without_its_keys_refuses_to_start(settings, sender):
    settings.SMS = {**settings.SMS, "ACCESS_KEY_ID": "", "SIGN_NAME": ""}
    with pytest.raises(ImproperlyConfigured, match="needs SMS_ACCESS_KEY_ID.*SMS_SIGN_NAME"):
        sender()


def test_the_system_check_stops_a_gateway_without_keys_and_warns_of_missing_templates(settings):
    settings.SMS_PROVIDER = "alibaba"
    settings.NOTIFY_SENDERS = [SENDERS["alibaba"]]
    settings.SMS = {**settings.SMS, "ACCESS_KEY_ID": "", "TEMPLATES": {}}
    (error,) = senders_configured()
    assert error.id == "pledgeloop.notify.E001" and "SMS_ACCESS_KEY_ID" in error.msg
    settings.SMS = {
        **settings.SMS,
        "ACCESS_KEY_ID": "k",
        "ACCESS_KEY_SECRET": "s",
        "SIGN_NAME": "江海街道",
        "TEMPLATES": {"order_filed": "SMS_1"},
    }
    (warning,) = senders_configured()
    assert warning.id == "pledgeloop.notify.W001"
    assert "order_accepted, order_done, service_review" in warning.msg
