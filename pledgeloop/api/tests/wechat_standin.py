"""A stand-in of the WeChat official-account API on 127.0.0.1, answering as the documented
API does: stable_token, media/uploadimg, material/add_material, draft/add,
freepublish/submit and freepublish/get, with an expired token (40001) and refused content."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class WechatStandIn:
    def __init__(self):
        self.tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.calls: list[tuple[str, bytes]] = []
        self.drafts: list[dict] = []
        self.refuse_content = ""  # a word that makes draft/add refuse the article
        self.publish_status = 0  # what freepublish/get says
        self.server = None
        self.url = ""

    def expire_tokens(self):
        self.tokens.clear()

    def answer(self, path: str, query: dict, body: bytes) -> dict:
        if path == "/cgi-bin/stable_token":
            request = json.loads(body)
            self.token_requests.append(request)
            if request.get("secret") != "secret":
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = f"TOKEN{len(self.token_requests)}"
            self.tokens.add(token)
            return {"access_token": token, "expires_in": 7200}
        if query.get("access_token", [""])[0] not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        self.calls.append((path, body))
        if path == "/cgi-bin/media/uploadimg":
            assert b'name="media"' in body
            return {"url": f"http://mmbiz.qpic.cn/mmbiz_jpg/{len(self.calls)}/0"}
        if path == "/cgi-bin/material/add_material":
            assert query.get("type") == ["image"] and b'name="media"' in body
            return {"media_id": "COVER_MEDIA_ID", "url": "http://mmbiz.qpic.cn/cover/0"}
        if path == "/cgi-bin/draft/add":
            draft = json.loads(body)
            if self.refuse_content and self.refuse_content in draft["articles"][0]["content"]:
                return {"errcode": 45166, "errmsg": "invalid content"}
            self.drafts.append(draft)
            return {"media_id": "DRAFT_MEDIA_ID"}
        if path == "/cgi-bin/freepublish/submit":
            assert json.loads(body) == {"media_id": "DRAFT_MEDIA_ID"}
            return {"errcode": 0, "errmsg": "ok", "publish_id": "2247483999"}
        if path == "/cgi-bin/freepublish/get":
            answer = {"publish_id": "2247483999", "publish_status": self.publish_status}
            if self.publish_status == 0:
                answer["article_id"] = "ARTICLE_ID"
                answer["article_detail"] = {
                    "count": 1,
                    "item": [{"idx": 1, "article_url": "https://mp.weixin.qq.com/s/abcDEF"}],
                }
            return answer
        return {"errcode": 40066, "errmsg": "invalid url"}

    def start(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parsed = urlparse(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                data = json.dumps(standin.answer(parsed.path, parse_qs(parsed.query), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutdown() waits for the loop to look (0.5 s by default).
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
