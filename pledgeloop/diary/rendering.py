"""Markdown to safe HTML, and to WeChat-editor-ready HTML.

Articles are written in Markdown (python-markdown) and the HTML is cleaned with nh3 against
an allow-list, whoever wrote it. The WeChat official-account editor keeps no stylesheet, so
its version carries inline styles on every element and absolute image addresses.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin

import markdown
import nh3
from django.utils.html import escape

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "code",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


WECHAT_STYLES = {
    "section": "font-size:16px;line-height:1.8;color:#333;letter-spacing:0.5px;",
    "p": "margin:0 0 14px;",
    "h2": "font-size:19px;font-weight:bold;color:#c8161d;margin:22px 0 12px;"
    "padding-left:10px;border-left:4px solid #c8161d;",
    "h3": "font-size:17px;font-weight:bold;color:#9e0f14;margin:18px 0 10px;",
    "h4": "font-size:16px;font-weight:bold;margin:14px 0 8px;",
    "strong": "color:#c8161d;",
    "blockquote": "margin:0 0 14px;padding:10px 14px;background:#fdf3f3;"
    "border-left:3px solid #f5c242;color:#555;",
    "ul": "margin:0 0 14px;padding-left:22px;",
    "ol": "margin:0 0 14px;padding-left:22px;",
    "li": "margin:4px 0;",
    "img": "display:block;max-width:100%;height:auto;margin:10px auto;border-radius:6px;",
    "table": "border-collapse:collapse;width:100%;margin:0 0 14px;font-size:14px;",
    "th": "border:1px solid #ddd;padding:6px;background:#fdeaea;",
    "td": "border:1px solid #ddd;padding:6px;",
    "a": "color:#576b95;",
    "hr": "border:0;border-top:1px solid #eee;margin:18px 0;",
}
VOID = {"br", "hr", "img"}


class _Styler(HTMLParser):
    def __init__(self, base_url: str):
        super().__init__(convert_charrefs=False)
        self.base_url = base_url
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        parts = [tag]
        for name, value in attrs:
            if name in {"src", "href"} and value:
                value = urljoin(self.base_url, value)
            if name == "style":
                continue
            parts.append(f'{name}="{escape(value or "")}"')
        if tag in WECHAT_STYLES:
            parts.append(f'style="{WECHAT_STYLES[tag]}"')
        self.out.append("<" + " ".join(parts) + ">")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")


def wechat_html(text: str, *, title: str, base_url: str) -> str:
    """The article as one <section> with inline styles, ready to paste into the WeChat editor."""
    styler = _Styler(base_url)
    styler.feed(render_markdown(text))
    styler.close()
    heading = (
        f'<h1 style="font-size:22px;font-weight:bold;color:#222;margin:0 0 16px;">'
        f"{escape(title)}</h1>"
    )
    return f'<section style="{WECHAT_STYLES["section"]}">{heading}{"".join(styler.out)}</section>'
