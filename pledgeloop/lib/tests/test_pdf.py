"""lib/pdf.py: a PDF is drawn from our HTML with its data: pictures, and fetches nothing else.

Before, WeasyPrint's default fetcher would ask any address a page named (the annual review's
PDF was given the site's own address as its base), and built an HTTPS context, the system's
certificates loaded, for every PDF.
"""

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image
from pypdf import PdfReader

from pledgeloop.lib.pdf import html_to_pdf


def _png() -> str:
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 20, 30)).save(picture, "PNG")
    return "data:image/png;base64," + base64.b64encode(picture.getvalue()).decode()


def test_a_data_picture_is_drawn_and_no_address_is_asked():
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        pdf = html_to_pdf(
            f'<link rel="stylesheet" href="{elsewhere}/style.css">'
            f'<p>承诺践诺</p><img src="{_png()}"><img src="{elsewhere}/tracker.png">'
            '<img src="file:///etc/hostname">'
        )
    finally:
        server.shutdown()
        server.server_close()
    assert asked == []
    [page] = PdfReader(io.BytesIO(pdf)).pages
    assert "承诺践诺" in page.extract_text()
    assert len(page.images) == 1  # the data: picture; nothing from elsewhere
