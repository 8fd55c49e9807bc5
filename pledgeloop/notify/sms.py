"""SMS gateways: Alibaba Cloud SMS (dysmsapi 2017-05-25) and Tencent Cloud SMS (2021-01-11),
through their own SDKs, configured by settings.SMS (SMS_* environment variables).

Each answer is mapped to a Delivery outcome:

    accepted   the gateway took the message (Alibaba Code "OK", Tencent SendStatus "Ok")
    retry      rate-limited or a passing gateway error: tried again later, with a pause
    failed     refused for a reason a retry cannot fix (template, signature, number,
               credentials): shown to the admins at once
    sending    no answer (time-out, connection lost): the gateway may have it; the message
               is looked up at the gateway before it is sent again

Neither API is idempotent (Alibaba's documentation says so: "implement your own idempotence
controls"). Each message carries its key (Alibaba `OutId`, Tencent `SessionContext`), which
the gateway keeps with it, and `look_up` finds it again: Alibaba through QuerySendDetails (the
number's messages of that day, each with its OutId, listed as soon as they are submitted),
Tencent through PullSmsSendStatusByPhoneNumber (the number's delivery reports, each with its
SessionContext, which arrive only once the carrier has reported). So the one window left for
a double text is a message the gateway took but does not list yet when the retry comes: for
Alibaba the seconds before it is listed, for Tencent the time until the carrier's report —
the lease (NOTIFY_LEASE_SECONDS) passes before any retry, which covers the usual delay.
"""

import datetime as dt
import json
import time

from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client as DysmsClient
from alibabacloud_tea_openapi.exceptions import (
    AlibabaCloudException,
    ServerException,
    ThrottlingException,
)
from alibabacloud_tea_openapi.utils_models import Config as AlibabaConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tcsms
from tencentcloud.sms.v20210111.sms_client import SmsClient

from pledgeloop.lib.masking import mask_phone

from .kinds import TEXTS
from .senders import Outcome, Status, text_params

# The gateway's own clock for "which day was it sent" (QuerySendDetails' SendDate).
BEIJING = dt.timezone(dt.timedelta(hours=8))


class GatewaySmsSender:
    """What both gateways share: configuration, the template for a kind, the parameters."""

    channel = "sms"
    provider = ""
    required = ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME")

    def __init__(self):
        self.config = settings.SMS
        missing = [f"SMS_{name}" for name in self.required if not self.config.get(name)]
        if missing:
            raise ImproperlyConfigured(
                f"The {self.provider} SMS sender needs {', '.join(missing)} (see README.md, “SMS”)."
            )
        self.templates = self.config["TEMPLATES"]
        self.timeout = self.config["TIMEOUT_SECONDS"]

    def address_for(self, notification) -> str:
        return notification.address_phone

    def skips(self, notification) -> Outcome | None:
        """ "Skipped" for a kind without a template: known before anything is sent."""
        if notification.kind in TEXTS and self.templates.get(notification.kind):
            return None
        return Outcome(
            Status.SKIPPED,
            mask_phone(notification.address_phone),
            f"no SMS template for “{notification.kind}” (SMS_TEMPLATES)",
        )

    def send(self, notification, *, key):
        if skipped := self.skips(notification):
            return skipped
        phone = notification.address_phone
        address = mask_phone(phone)
        template = self.templates[notification.kind]
        try:
            params = text_params(notification)
        except KeyError as missing:
            return Outcome(Status.FAILED, address, f"text parameter {missing} missing")
        return self.deliver(phone, template, notification.kind, params, key)

    def deliver(self, phone, template, kind, params, key) -> Outcome:
        raise NotImplementedError


# --- Alibaba Cloud SMS -------------------------------------------------------------------------

# Codes that say "not now" (flow control per number per minute/hour/day, system busy).
ALIBABA_RETRY = ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isp.")


class AlibabaSmsSender(GatewaySmsSender):
    """Alibaba Cloud SMS: SendSms with TemplateCode, TemplateParam (JSON) and OutId."""

    provider = "Alibaba Cloud"

    def __init__(self):
        super().__init__()
        endpoint = self.config["ENDPOINT"] or "dysmsapi.aliyuncs.com"
        self.client = DysmsClient(
            AlibabaConfig(
                access_key_id=self.config["ACCESS_KEY_ID"],
                access_key_secret=self.config["ACCESS_KEY_SECRET"],
                endpoint=endpoint,
                protocol=self.config["PROTOCOL"],
                region_id=self.config["REGION"] or "cn-hangzhou",
                connect_timeout=self.timeout * 1000,
                read_timeout=self.timeout * 1000,
            )
        )

    def deliver(self, phone, template, kind, params, key) -> Outcome:
        address = mask_phone(phone)
        request = dysms.SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.config["SIGN_NAME"],
            template_code=template,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=key,
        )
        try:
            body = self.client.send_sms(request).body
        except ThrottlingException as error:
            return Outcome(Status.RETRY, address, f"throttled: {error.code}"[:300])
        except ServerException as error:
            return Outcome(Status.SENDING, address, f"gateway error: {error.code}"[:300])
        except AlibabaCloudException as error:  # a 4xx: the request itself was refused
            return Outcome(Status.FAILED, address, f"{error.code}: {error.message}"[:300])
        except Exception as error:  # no answer: it may have gone out
            return Outcome(Status.SENDING, address, f"no answer: {error}"[:300])
        if body.code == "OK":
            return Outcome(Status.ACCEPTED, address, "OK", body.biz_id or "")
        detail = f"{body.code}: {body.message}"[:300]
        if (body.code or "").startswith(ALIBABA_RETRY):
            return Outcome(Status.RETRY, address, detail)
        return Outcome(Status.FAILED, address, detail)

    def look_up(self, notification, *, key, since) -> Outcome | None:
        """Was a message with this OutId submitted for this number since `since`?
        (QuerySendDetails lists a number's messages of one day, 50 a page.)"""
        phone = notification.address_phone
        days = {since.astimezone(BEIJING).date(), timezone.now().astimezone(BEIJING).date()}
        for day in sorted(days):
            page = 1
            while True:
                body = self.client.query_send_details(
                    dysms.QuerySendDetailsRequest(
                        phone_number=phone,
                        send_date=day.strftime("%Y%m%d"),
                        page_size=50,
                        current_page=page,
                    )
                ).body
                if body.code != "OK":
                    raise RuntimeError(f"QuerySendDetails: {body.code}: {body.message}")
                found = (
                    body.sms_send_detail_dtos.sms_send_detail_dto
                    if (body.sms_send_detail_dtos)
                    else []
                )
                for detail in found:
                    if detail.out_id == key:
                        return Outcome(
                            Status.ACCEPTED,
                            mask_phone(phone),
                            "found at the gateway (QuerySendDetails), not sent again",
                        )
                if page * 50 >= int(body.total_count or 0) or not found:
                    break
                page += 1
        return None


# --- Tencent Cloud SMS -------------------------------------------------------------------------

TENCENT_RETRY = ("LimitExceeded", "RequestLimitExceeded", "InternalError.Timeout")
TENCENT_UNKNOWN = ("InternalError", "ServerNetworkError", "ClientNetworkError")


class TencentSmsSender(GatewaySmsSender):
    """Tencent Cloud SMS: SendSms with TemplateId, TemplateParamSet (in the template's order)
    and SessionContext, under the SmsSdkAppId."""

    provider = "Tencent Cloud"
    required = ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "SDK_APP_ID")

    def __init__(self):
        super().__init__()
        http = HttpProfile(
            protocol=self.config["PROTOCOL"],
            endpoint=self.config["ENDPOINT"] or None,
            reqTimeout=self.timeout,
        )
        self.client = SmsClient(
            credential.Credential(self.config["ACCESS_KEY_ID"], self.config["ACCESS_KEY_SECRET"]),
            self.config["REGION"] or "ap-guangzhou",
            ClientProfile(httpProfile=http),
        )

    def deliver(self, phone, template, kind, params, key) -> Outcome:
        address = mask_phone(phone)
        request = tcsms.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.config["SDK_APP_ID"]
        request.SignName = self.config["SIGN_NAME"]
        request.TemplateId = template
        request.TemplateParamSet = [params[name] for name in TEXTS[kind].params]
        request.SessionContext = key
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            return self._refused(address, error.get_code() or "", error.get_message() or "")
        except Exception as error:
            return Outcome(Status.SENDING, address, f"no answer: {error}"[:300])
        statuses = response.SendStatusSet or []
        if not statuses:
            return Outcome(Status.SENDING, address, "no send status in the answer")
        status = statuses[0]
        if status.Code == "Ok":
            return Outcome(Status.ACCEPTED, address, "Ok", status.SerialNo or "")
        return self._refused(address, status.Code or "", status.Message or "")

    @staticmethod
    def _refused(address, code: str, message: str) -> Outcome:
        detail = f"{code}: {message}"[:300]
        if code.startswith(TENCENT_RETRY):
            return Outcome(Status.RETRY, address, detail)
        if code.startswith(TENCENT_UNKNOWN):
            return Outcome(Status.SENDING, address, detail)
        return Outcome(Status.FAILED, address, detail)

    def look_up(self, notification, *, key, since) -> Outcome | None:
        """Is there a delivery report for this SessionContext since `since`? (Reports come
        once the carrier has answered: a message accepted seconds ago may not be there yet.)"""
        phone = notification.address_phone
        request = tcsms.PullSmsSendStatusByPhoneNumberRequest()
        request.PhoneNumber = f"+86{phone}"
        request.SmsSdkAppId = self.config["SDK_APP_ID"]
        request.BeginTime = int(since.timestamp()) - 60
        request.EndTime = int(time.time()) + 60
        request.Offset = 0
        request.Limit = 100
        response = self.client.PullSmsSendStatusByPhoneNumber(request)
        for report in response.PullSmsSendStatusSet or []:
            if report.SessionContext == key:
                return Outcome(
                    Status.ACCEPTED,
                    mask_phone(phone),
                    "found in the gateway's delivery reports, not sent again",
                    report.SerialNo or "",
                )
        return None
