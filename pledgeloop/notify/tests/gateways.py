"""Local stand-ins for the SMS gateways' HTTP APIs, so that the real SDK code runs in tests and
in bench/faults.py: a `http.server` on 127.0.0.1 that answers as each documented API does.

    Alibaba Cloud dysmsapi 2017-05-25 (RPC style: the action in the x-acs-action header, the
    parameters in the query string, JSON answers with HTTP 200 also for refusals):
        SendSms            {"Code": "OK", "BizId": …} | isv.BUSINESS_LIMIT_CONTROL |
                           isv.SMS_TEMPLATE_ILLEGAL
        QuerySendDetails   the number's messages of one day, each with its OutId
    Tencent Cloud sms 2021-01-11 (the action in X-TC-Action, a JSON body, {"Response": …}):
        SendSms            SendStatusSet[0].Code "Ok" | LimitExceeded.PhoneNumberDailyLimit
                           (per number) | Error FailedOperation.TemplateIncorrectOrUnapproved
        PullSmsSendStatusByPhoneNumber   delivery reports, each with its SessionContext

The stand-in keeps every message it accepted and counts them per idempotency key (OutId /
SessionContext): `sent_twice` is what a resident would have received twice.
"""

import datetime as dt
import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OK, RATE_LIMITED, BAD_TEMPLATE = "ok", "rate_limited", "bad_template"
BEIJING = dt.timezone(dt.timedelta(hours=8))


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that dies mid-request (the bench kills workers) is not news."""


class GatewayStandIn:
    def __init__(self, vendor: str, *, answer: str = OK):
        assert vendor in {"alibaba", "tencent"}
        self.vendor = vendor
        self.answer = answer
        self.lock = threading.Lock()
        self.accepted: list[dict] = []  # every message taken, in order
        self.counts: Counter = Counter()  # per idempotency key
        self.requests: list[tuple[str, dict, dict]] = []  # (action, params, headers)
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        # A short poll: shutdown() waits for the loop to look (0.5 s by default, per test).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def sent_twice(self) -> int:
        return sum(1 for n in self.counts.values() if n > 1)

    def take(self, phone: str, key: str, template: str, params) -> dict:
        """Record a message as accepted (also used to seed one the worker never heard of)."""
        with self.lock:
            message = {
                "phone": phone,
                "key": key,
                "template": template,
                "params": params,
                "at": dt.datetime.now(BEIJING),
                "id": f"{len(self.accepted) + 1:06d}",
            }
            self.accepted.append(message)
            self.counts[key] += 1
            return message

    # --- the APIs ---------------------------------------------------------------------------

    def alibaba(self, action: str, q: dict) -> dict:
        request_id = str(uuid.uuid4()).upper()
        if action == "SendSms":
            if self.answer == RATE_LIMITED:
                return {
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发号码天级流控Permits:10",
                    "RequestId": request_id,
                }
            if self.answer == BAD_TEMPLATE:
                return {
                    "Code": "isv.SMS_TEMPLATE_ILLEGAL",
                    "Message": "该账号下找不到对应模板",
                    "RequestId": request_id,
                }
            message = self.take(
                q["PhoneNumbers"], q.get("OutId", ""), q["TemplateCode"], q.get("TemplateParam")
            )
            return {
                "Code": "OK",
                "Message": "OK",
                "BizId": f"{message['id']}^0",
                "RequestId": request_id,
            }
        if action == "QuerySendDetails":
            day = q["SendDate"]
            with self.lock:
                found = [
                    m
                    for m in self.accepted
                    if m["phone"] == q["PhoneNumber"] and m["at"].strftime("%Y%m%d") == day
                ]
            size, page = int(q.get("PageSize", 10)), int(q.get("CurrentPage", 1))
            shown = found[(page - 1) * size : page * size]
            return {
                "Code": "OK",
                "Message": "OK",
                "RequestId": request_id,
                "TotalCount": str(len(found)),
                "SmsSendDetailDTOs": {
                    "SmsSendDetailDTO": [
                        {
                            "PhoneNum": m["phone"],
                            "SendStatus": 3,
                            "ErrCode": "DELIVERED",
                            "TemplateCode": m["template"],
                            "Content": "",
                            "SendDate": m["at"].strftime("%Y-%m-%d %H:%M:%S"),
                            "ReceiveDate": m["at"].strftime("%Y-%m-%d %H:%M:%S"),
                            "OutId": m["key"],
                        }
                        for m in shown
                    ]
                },
            }
        return {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": request_id}

    def tencent(self, action: str, body: dict) -> dict:
        request_id = str(uuid.uuid4())
        if action == "SendSms":
            phone = body["PhoneNumberSet"][0]
            context = body.get("SessionContext", "")
            if self.answer == BAD_TEMPLATE:
                return {
                    "Response": {
                        "Error": {
                            "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                            "Message": "模板未审批或请求的内容与审核通过的模板内容不匹配",
                        },
                        "RequestId": request_id,
                    }
                }
            if self.answer == RATE_LIMITED:
                status = {
                    "SerialNo": "",
                    "PhoneNumber": phone,
                    "Fee": 0,
                    "SessionContext": context,
                    "Code": "LimitExceeded.PhoneNumberDailyLimit",
                    "Message": "单个手机号日下发短信条数超过设定的上限",
                    "IsoCode": "CN",
                }
            else:
                message = self.take(
                    phone, context, body["TemplateId"], body.get("TemplateParamSet")
                )
                status = {
                    "SerialNo": f"2645:{message['id']}",
                    "PhoneNumber": phone,
                    "Fee": 1,
                    "SessionContext": context,
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            return {"Response": {"SendStatusSet": [status], "RequestId": request_id}}
        if action == "PullSmsSendStatusByPhoneNumber":
            begin = dt.datetime.fromtimestamp(body["BeginTime"], BEIJING)
            with self.lock:
                found = [
                    m
                    for m in self.accepted
                    if m["phone"] == body["PhoneNumber"] and m["at"] >= begin
                ]
            return {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": m["at"].strftime("%Y-%m-%d %H:%M:%S"),
                            "CountryCode": "86",
                            "SubscriberNumber": m["phone"][3:],
                            "PhoneNumber": m["phone"],
                            "SerialNo": f"2645:{m['id']}",
                            "ReportStatus": "SUCCESS",
                            "Description": "用户短信送达成功",
                            "SessionContext": m["key"],
                        }
                        for m in found[body.get("Offset", 0) :][: body.get("Limit", 100)]
                    ],
                    "RequestId": request_id,
                }
            }
        return {
            "Response": {
                "Error": {"Code": "InvalidAction", "Message": action},
                "RequestId": request_id,
            }
        }

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if stand_in.vendor == "alibaba":
                    action = headers.get("x-acs-action", "")
                    query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                    stand_in.requests.append((action, query, headers))
                    answer = stand_in.alibaba(action, query)
                else:
                    action = headers.get("x-tc-action", "")
                    body = json.loads(raw or b"{}")
                    stand_in.requests.append((action, body, headers))
                    answer = stand_in.tencent(action, body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
