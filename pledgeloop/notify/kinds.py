"""The texts that can go out by SMS, and the parameters of each one's gateway template.

SMS gateways in mainland China send only pre-approved templates (模板) under an approved
signature (签名): the operator registers one template per kind below with their gateway
(Alibaba Cloud: `${order}`; Tencent Cloud: `{1}`, `{2}`, … in the order of `params`) and sets
SMS_TEMPLATES=kind:code,…. A kind without a template is recorded as "not sent" for SMS
(the inbox and email still get it).

Parameters are short plain values (a gateway refuses long ones or ones that carry links):
at most PARAM_MOST characters each, which every gateway takes (Huawei Cloud's text variables
1–20, Alibaba Cloud's notification variables 1–35); the senders cut a longer one
(senders.text_params). `link` is the 10-character code of the short link /t/<code>/ to the
notification's page, filled in by the sender; the template holds the site's own address
before it, e.g. `https://jianghai.example.cn/t/${link}/`.

The sample texts are what docs/ARCHITECTURE.md suggests registering; the pages and the
logging sender word the same messages through the translation catalogue.
"""

from dataclasses import dataclass

# The most characters of one parameter's value (see above).
PARAM_MOST = 20


@dataclass(frozen=True)
class TextKind:
    params: tuple[str, ...]
    sample: str  # the Alibaba-style template text to register (Chinese)


TEXTS: dict[str, TextKind] = {
    # To the resident: the order was filed (by them, or by staff for them).
    "order_filed": TextKind(
        ("order", "link"),
        "您的需求已登记（单号${order}），查看进度或取消：https://域名/t/${link}/",
    ),
    # To the resident: a member took the order.
    "order_accepted": TextKind(
        ("order", "member"),
        "您的需求（单号${order}）已由党员${member}接单，将尽快与您联系。",
    ),
    # To the resident: the order is done; the link is the review page (评诺) of its service.
    "order_done": TextKind(
        ("order", "date", "hours", "link"),
        "您的需求（单号${order}）已于${date}办结，服务${hours}小时。"
        "请确认并评价，未解决也可反馈：https://域名/t/${link}/",
    ),
    # To the beneficiary of a service not tied to an order (a pledge visit, a check-in).
    "service_review": TextKind(
        ("date", "hours", "link"),
        "党员志愿者于${date}为您服务${hours}小时，请确认并评价：https://域名/t/${link}/",
    ),
    # To everyone signed up for an event's shift or registered for its session (a member,
    # a volunteer, a resident): its time or place changed (teams.event_changes). The text
    # says the new arrangement, `when` as 9月6日 09:00–12:00 (a span of days as
    # 9月5日–9月7日) and `place` the place's name; the page it links to says old → new.
    "event_changed": TextKind(
        ("event", "when", "place", "link"),
        "您报名的活动“${event}”有变动，现定于${when}在${place}举行。详情：https://域名/t/${link}/",
    ),
    # To the same people: the event is called off (teams.event_changes.event_cancel); the
    # page it links to says why.
    "event_cancelled": TextKind(
        ("event", "when", "link"),
        "您报名的活动“${event}”（原定${when}）已取消，原因见：https://域名/t/${link}/",
    ),
    # A one-time code (sign-in at /my/, a new password, an imported member's activation):
    # sent at once, never stored in the outbox (notify.services.text_send_now).
    "one_time_code": TextKind(
        ("code", "minutes"),
        "您的验证码为${code}，${minutes}分钟内有效。请勿告诉他人。",
    ),
    # To an imported member: set a password with the code at the link (the login page's
    # "set a new password").
    "account_activation": TextKind(
        ("code", "days", "link"),
        "您已加入社区党员服务平台，请在${days}天内用验证码${code}设置密码：https://域名/t/${link}/",
    ),
}
