"""Hostile files for the upload tests (policy, serving, browser)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from PIL.PngImagePlugin import PngInfo

# What the attacker's script does once it runs in the reviewer's browser, on the origin of
# the site: mark itself, read the review page's CSRF token and approve its own verification
# (the verification's id is in the document's own URL, /accounts/verification/<id>/front/).
PAYLOAD = (
    "<html><body><script>"
    "window.__pwned = 1; console.log('XSS-RAN');"
    "var id = location.pathname.split('/')[3];"
    "var url = '/admin/accounts/verification/' + id + '/review/';"
    "fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(function (t) {"
    '  var m = t.match(/name="csrfmiddlewaretoken" value="([^"]+)"/);'
    "  var body = new URLSearchParams({csrfmiddlewaretoken: m[1], decision: 'approve'});"
    "  return fetch(url, {method: 'POST', body: body, credentials: 'same-origin'});"
    "}).then(function () { console.log('XSS-APPROVED'); });"
    "alert('XSS');"
    "</script></body></html>"
)


def polyglot_png(payload: str = PAYLOAD, size: tuple[int, int] = (320, 200)) -> bytes:
    """A valid PNG (Pillow opens and verifies it) whose text chunk is an HTML page with a script."""
    info = PngInfo()
    info.add_text("Comment", payload)
    buf = io.BytesIO()
    Image.new("RGB", size, (220, 226, 235)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>window.__pwned = 1; alert('XSS')</script></svg>"
)
HTML = PAYLOAD.encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int = 30000, height: int = 30000) -> bytes:
    """A small file announcing a huge image (a decompression bomb's header): 1-bit grey, a
    few rows of compressed data — opening it must not decode it."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
