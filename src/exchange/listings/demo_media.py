"""Demo files of a project, made at seed time: pictures that look like the asset and a
valuation report summary (资产评估报告摘要) with the project's own figures.

The pictures are simple illustrations drawn with Pillow — a building facade and a floor
plan, a forest and its parcel map, a car and its plate, a company emblem and a chart of its
audited figures … — deterministic (seeded by the title), so a re-seed draws the same
pictures. The report is a one-page PDF rendered with WeasyPrint (the library of the
contracts, certificates and statements), marked as demo data.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from PIL import Image, ImageDraw, ImageFont

from exchange.listings import categories

W, H = 960, 640
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
_fonts: dict[int, Any] = {}

Color = tuple[int, int, int]
Picture = tuple[str, str, Image.Image]  # (file name, caption, image)


def _font(size: int) -> Any:
    """Noto Sans CJK SC at `size` px, or None where the font is missing (text is then left out)."""
    if size not in _fonts:
        path = next((p for p in FONT_FILES if Path(p).exists()), None)
        _fonts[size] = ImageFont.truetype(path, size, index=2) if path else None  # index 2: SC
    return _fonts[size]


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill: Color, **kw: Any) -> None:
    font = _font(size)
    if font is not None:
        draw.text(xy, text, font=font, fill=fill, **kw)


def _sky(image: Image.Image, top: Color, bottom: Color, height: int = H) -> None:
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def _jpeg(name: str, image: Image.Image) -> SimpleUploadedFile:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=82, optimize=True)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def _label(draw: ImageDraw.ImageDraw, text: str) -> None:
    """The caption band at the bottom of a picture (示意图, 演示)."""
    draw.rectangle((0, H - 44, W, H), fill=(31, 35, 40))
    _text(draw, (18, H - 38), text, 22, (240, 240, 240))


# --------------------------------------------------------------------------- buildings


def _facade(rng: random.Random, use: str, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H))
    _sky(image, (120, 170, 220), (214, 232, 246), 520)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, W, H), fill=(150, 150, 146))  # street
    draw.rectangle((0, 505, W, 522), fill=(190, 188, 182))  # pavement
    for x in range(0, W, 80):
        draw.rectangle((x + 20, 580, x + 60, 586), fill=(235, 235, 230))
    if use == "office":
        floors, left, right, wall = 14, 300, 660, (96, 125, 150)
    elif use == "industrial":
        floors, left, right, wall = 2, 120, 840, (176, 170, 160)
    elif use == "residential":
        floors, left, right, wall = 9, 220, 740, (222, 206, 184)
    else:
        floors, left, right, wall = 7, 160, 800, (205, 190, 170)
    top = 505 - floors * 34 - (40 if use == "industrial" else 0)
    draw.rectangle((left, top, right, 505), fill=wall, outline=(70, 70, 70))
    if use == "industrial":  # sawtooth roof and a roller door
        step = (right - left) // 6
        for i in range(6):
            x = left + i * step
            draw.polygon([(x, top), (x + step, top), (x + step, top - 46)], fill=(150, 146, 140), outline=(90, 90, 90))
        draw.rectangle((left + 60, 390, left + 240, 505), fill=(120, 124, 128))
        for y in range(396, 505, 10):
            draw.line([(left + 60, y), (left + 240, y)], fill=(100, 104, 108))
        _text(draw, (left, top - 96), "仓储 · 厂房", 30, (40, 40, 40))
    cols = max(4, (right - left) // 70)
    for floor in range(floors):
        y = top + 14 + floor * 34
        if (use == "industrial" and floor == 0) or (use == "commercial" and y + 20 > 356):
            continue
        for c in range(cols):
            wx = left + 16 + c * ((right - left - 24) / cols)
            lit = rng.random() < 0.25
            draw.rectangle((wx, y, wx + (right - left) / cols - 22, y + 20), fill=(250, 226, 150) if lit else (150, 190, 220),
                           outline=(60, 70, 80))  # fmt: skip
            if use == "residential":
                draw.rectangle((wx - 4, y + 18, wx + (right - left) / cols - 18, y + 24), fill=(180, 170, 160))
    if use == "commercial":  # shop front: awning, glass, sign
        draw.rectangle((left, 420, right, 505), fill=(60, 70, 80))
        for c in range(6):
            gx = left + 12 + c * (right - left - 12) / 6
            draw.rectangle((gx, 432, gx + (right - left) / 6 - 14, 500), fill=(170, 210, 230))
        stripes = 16
        for i in range(stripes):
            sx = left + i * (right - left) / stripes
            draw.polygon([(sx, 400), (sx + (right - left) / stripes, 400), (sx + (right - left) / stripes + 6, 424),
                          (sx + 6, 424)], fill=(200, 22, 29) if i % 2 else (245, 245, 245))  # fmt: skip
        draw.rectangle((left + 40, 360, right - 40, 396), fill=(139, 20, 26))
        _text(draw, (left + 60, 362), "商 业 用 房 · 临 街 商 铺", 26, (255, 235, 180))
    if use == "office":
        draw.rectangle((left + 130, 440, right - 130, 505), fill=(70, 90, 110))
        _text(draw, (40, 40), "写字楼", 30, (40, 40, 40))
    for x in (60, 880):  # street trees
        draw.rectangle((x - 4, 440, x + 4, 508), fill=(110, 80, 50))
        draw.ellipse((x - 40, 380, x + 40, 460), fill=(70, 130, 80))
    _label(draw, f"{title[:26]} · 外观示意（演示）")
    return image


ROOMS = {
    "residential": ("客厅 / 餐厅", "卧室", "主卧", "厨房 / 卫生间"),
    "office": ("开放办公区", "会议室", "经理室", "卫生间 / 茶水间"),
    "industrial": ("仓储区", "装卸区", "办公室", "配电间 / 工具间"),
}


def _floor_plan(rng: random.Random, area: str, use: str, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    for x in range(0, W, 24):
        draw.line([(x, 0), (x, H)], fill=(232, 236, 240))
    for y in range(0, H, 24):
        draw.line([(0, y), (W, y)], fill=(232, 236, 240))
    x0, y0, x1, y1 = 120, 60, 840, 500
    draw.rectangle((x0, y0, x1, y1), outline=(40, 40, 40), width=8)
    split_x = rng.randint(380, 520)
    split_y = rng.randint(260, 340)
    draw.line([(split_x, y0), (split_x, y1)], fill=(40, 40, 40), width=5)
    draw.line([(x0, split_y), (split_x, split_y)], fill=(40, 40, 40), width=5)
    draw.line([(split_x, 400), (x1, 400)], fill=(40, 40, 40), width=5)
    for x, y in ((split_x, 180), (240, split_y), (640, 400)):  # doors
        draw.rectangle((x - 22, y - 4, x + 22, y + 4), fill=(250, 250, 246))
        draw.arc((x - 22, y - 44, x + 22, y), 0, 180, fill=(120, 120, 120), width=2)
    draw.rectangle((x0 + 300, y1 - 4, x0 + 380, y1 + 4), fill=(250, 250, 246))  # entrance
    names = ROOMS.get(use, ("营业区", "库房", "办公区", "卫生间 / 储藏"))
    centres = (
        ((x0 + split_x) / 2, (y0 + split_y) / 2),
        ((x0 + split_x) / 2, (split_y + y1) / 2),
        ((split_x + x1) / 2, (y0 + 400) / 2),
        ((split_x + x1) / 2, (400 + y1) / 2),
    )
    for (cx, cy), name in zip(centres, names, strict=True):
        _text(draw, (cx - 60, cy - 14), name, 24, (80, 80, 80))
    draw.line([(x0, y1 + 40), (x1, y1 + 40)], fill=(200, 22, 29), width=2)
    _text(draw, ((x0 + x1) / 2 - 110, y1 + 44), f"建筑面积 {area} ㎡", 22, (200, 22, 29))
    draw.polygon([(880, 90), (870, 130), (890, 130)], fill=(40, 40, 40))
    _text(draw, (872, 50), "N", 26, (40, 40, 40))
    _label(draw, f"{title[:26]} · 平面示意（非测绘图）")
    return image


# --------------------------------------------------------------------------- land


def _forest(rng: random.Random, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H))
    _sky(image, (150, 196, 230), (226, 238, 244))
    draw = ImageDraw.Draw(image)
    for layer, (color, base) in enumerate((((112, 148, 120), 300), ((84, 128, 92), 380), ((60, 104, 70), 470))):
        points: list[tuple[float, float]] = [(0, H)]
        for x in range(0, W + 40, 40):
            points.append((x, base - 60 * math.sin(x / (160 + layer * 40) + layer) - rng.randint(0, 20)))
        points.append((W, H))
        draw.polygon(points, fill=color)
    for _ in range(160):
        x, y = rng.randint(0, W), rng.randint(300, H - 40)
        size = 10 + (y - 300) // 9
        green = (30 + rng.randint(0, 30), 80 + rng.randint(0, 40), 45 + rng.randint(0, 20))
        draw.polygon([(x, y - size * 2.2), (x - size, y), (x + size, y)], fill=green)
        draw.rectangle((x - 2, y, x + 2, y + size // 3), fill=(90, 64, 40))
    _label(draw, f"{title[:26]} · 林地现状（示意）")
    return image


def _parcel_map(rng: random.Random, area: str, title: str, *, fields: bool) -> Image.Image:
    image = Image.new("RGB", (W, H), (236, 240, 226))
    draw = ImageDraw.Draw(image)
    if fields:  # a patchwork of plots
        for gx in range(0, W, 120):
            for gy in range(0, H - 44, 90):
                tone = rng.choice(((196, 214, 150), (214, 204, 140), (170, 200, 130), (226, 220, 170)))
                draw.rectangle((gx + 3, gy + 3, gx + 117, gy + 87), fill=tone)
                for row in range(gy + 12, gy + 86, 10):
                    draw.line([(gx + 8, row), (gx + 112, row)], fill=tuple(c - 18 for c in tone))
    else:  # contour lines
        cx, cy = rng.randint(380, 580), rng.randint(240, 340)
        for r in range(30, 520, 34):
            draw.ellipse((cx - r * 1.4, cy - r, cx + r * 1.4, cy + r), outline=(170, 150, 110), width=2)
    draw.line([(0, 520), (W, 470)], fill=(250, 250, 250), width=14)  # road
    draw.line([(0, 520), (W, 470)], fill=(200, 190, 160), width=2)
    boundary = [(230, 150), (520, 110), (760, 200), (720, 420), (420, 470), (260, 380)]
    boundary = [(x + rng.randint(-20, 20), y + rng.randint(-20, 20)) for x, y in boundary]
    fill = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(fill).polygon(boundary, fill=(200, 22, 29, 46))
    image.paste(fill, (0, 0), fill)
    draw.line([*boundary, boundary[0]], fill=(200, 22, 29), width=4)
    for n, (x, y) in enumerate(boundary, start=1):
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(200, 22, 29))
        _text(draw, (x + 8, y - 28), f"J{n}", 18, (120, 20, 20))
    _text(draw, (420, 270), f"{area} 亩", 34, (120, 20, 20))
    draw.polygon([(890, 40), (878, 84), (902, 84)], fill=(40, 40, 40))
    _text(draw, (881, 86), "N", 20, (40, 40, 40))
    _label(draw, f"{title[:26]} · 四至范围示意（以权属证书为准）")
    return image


def _farmland(rng: random.Random, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H))
    _sky(image, (140, 190, 236), (230, 240, 246), 260)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, W, H), fill=(150, 186, 90))
    for i in range(-20, 21):  # furrows in perspective
        draw.line([(W / 2 + i * 12, 250), (W / 2 + i * 90, H)], fill=(120, 160, 70), width=3)
    for x in range(60, W, 160):  # tree line on the horizon
        draw.ellipse((x - 30, 200 + rng.randint(0, 20), x + 30, 262), fill=(70, 120, 70))
    draw.polygon([(700, 250), (760, 206), (820, 250)], fill=(170, 90, 60))
    draw.rectangle((712, 250, 808, 300), fill=(228, 214, 190))
    _label(draw, f"{title[:26]} · 现状（示意）")
    return image


def _mine(rng: random.Random, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H))
    _sky(image, (170, 190, 210), (226, 230, 234), 330)
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 330), (200, 220), (420, 300), (640, 200), (W, 310), (W, H), (0, H)], fill=(140, 124, 100))
    draw.rectangle((0, 430, W, H), fill=(110, 100, 86))
    tx = 300  # headframe
    draw.line([(tx - 70, 430), (tx, 190)], fill=(60, 60, 70), width=8)
    draw.line([(tx + 70, 430), (tx, 190)], fill=(60, 60, 70), width=8)
    for y in range(240, 430, 40):
        draw.line([(tx - 70 + (430 - y) * 0.27, y), (tx + 70 - (430 - y) * 0.27, y)], fill=(60, 60, 70), width=4)
    draw.ellipse((tx - 34, 170, tx + 34, 238), outline=(60, 60, 70), width=8)
    draw.rectangle((tx + 90, 330, tx + 260, 430), fill=(170, 170, 160), outline=(80, 80, 80))
    draw.line([(tx + 260, 360), (720, 300)], fill=(50, 50, 50), width=10)  # conveyor
    draw.polygon([(660, 430), (760, 300), (880, 430)], fill=(36, 36, 40))  # coal heap
    draw.rectangle((560, 470, 700, 520), fill=(230, 180, 40))  # truck
    draw.ellipse((570, 510, 600, 540), fill=(30, 30, 30))
    draw.ellipse((660, 510, 690, 540), fill=(30, 30, 30))
    _label(draw, f"{title[:26]} · 矿区现状（示意）")
    return image


def _mine_map(rng: random.Random, attributes: dict[str, Any], title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (246, 244, 236))
    draw = ImageDraw.Draw(image)
    for x in range(80, W, 100):
        draw.line([(x, 20), (x, H - 60)], fill=(220, 220, 210))
    for y in range(20, H - 60, 100):
        draw.line([(40, y), (W - 40, y)], fill=(220, 220, 210))
    corners = [(200, 130), (620, 100), (680, 450), (240, 490)]
    fill = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(fill).polygon(corners, fill=(60, 60, 70, 40))
    image.paste(fill, (0, 0), fill)
    draw.line([*corners, corners[0]], fill=(30, 30, 30), width=4)
    base_x, base_y = 37_650_000 + rng.randint(0, 9999) * 10, 4_420_000 + rng.randint(0, 9999) * 10
    for n, (x, y) in enumerate(corners, start=1):
        draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=(200, 22, 29))
        _text(draw, (x + 10, y - 44), f"拐点{n}", 16, (60, 60, 60))
        _text(draw, (x + 10, y - 24), f"X {base_x + x * 7}  Y {base_y - y * 7}", 14, (90, 90, 90))
    reserves = f"{attributes.get('reserves', '')} {attributes.get('reserves_unit', '')}".strip()
    _text(draw, (280, 260), f"{attributes.get('mineral', '')} · 保有资源储量 {reserves}", 26, (30, 30, 30))
    if attributes.get("area_km2"):
        _text(draw, (280, 300), f"矿区面积 {attributes['area_km2']} 平方公里", 22, (60, 60, 60))
    _label(draw, f"{title[:26]} · 矿区范围示意（以许可证为准）")
    return image


# --------------------------------------------------------------------------- vehicles and equipment


def _car(rng: random.Random, attributes: dict[str, Any], title: str) -> Image.Image:
    image = Image.new("RGB", (W, H))
    _sky(image, (226, 232, 238), (246, 248, 250), 470)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 470, W, H), fill=(120, 122, 126))
    body = rng.choice(((40, 44, 52), (178, 180, 184), (120, 20, 30), (30, 60, 110)))
    if "挖掘机" in str(attributes.get("model", "")):
        draw.rectangle((260, 400, 620, 450), fill=(50, 50, 50))  # tracks
        for x in range(270, 620, 36):
            draw.ellipse((x, 408, x + 32, 444), fill=(80, 80, 80))
        draw.rectangle((300, 300, 560, 400), fill=(236, 180, 30))
        draw.rectangle((470, 230, 560, 300), fill=(236, 180, 30), outline=(60, 60, 60))
        draw.rectangle((482, 242, 548, 290), fill=(150, 190, 220))
        draw.line([(540, 290), (700, 150)], fill=(236, 180, 30), width=26)  # boom
        draw.line([(700, 150), (790, 330)], fill=(236, 180, 30), width=20)  # arm
        draw.polygon([(760, 320), (830, 330), (800, 390), (750, 370)], fill=(70, 70, 70))  # bucket
    else:
        van = "GL8" in str(attributes.get("model", ""))
        roof = 250 if van else 290
        draw.rounded_rectangle((150, 350, 810, 440), radius=30, fill=body)
        draw.polygon([(270, 352), (340 if not van else 300, roof), (620 if not van else 700, roof),
                      (700 if not van else 760, 352)], fill=body)  # fmt: skip
        draw.polygon(
            [(300, 350), (355 if not van else 318, roof + 12), (470, roof + 12), (470, 350)], fill=(170, 200, 220)
        )
        draw.polygon([(484, 350), (484, roof + 12), (605 if not van else 690, roof + 12), (670 if not van else 744, 350)],
                     fill=(170, 200, 220))  # fmt: skip
        draw.rectangle((780, 380, 810, 396), fill=(250, 220, 120))  # headlight
        draw.rectangle((150, 378, 168, 396), fill=(200, 40, 40))  # tail light
        for cx in (280, 680):
            draw.ellipse((cx - 52, 396, cx + 52, 500), fill=(25, 25, 25))
            draw.ellipse((cx - 26, 422, cx + 26, 474), fill=(170, 170, 176))
    draw.ellipse((140, 490, 840, 520), fill=(100, 102, 106))
    name = f"{attributes.get('brand', '')} {attributes.get('model', '')}".strip()
    _text(draw, (40, 40), name, 32, (40, 40, 40))
    _label(draw, f"{title[:26]} · 车辆外观（示意）")
    return image


def _plate(rng: random.Random, attributes: dict[str, Any], title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (238, 240, 243))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((200, 120, 760, 300), radius=18, fill=(20, 70, 170), outline=(240, 240, 240), width=8)
    plate = str(attributes.get("plate", "")).split("等")[0]
    _text(draw, (480, 210), plate, 80, (255, 255, 255), anchor="mm")
    rows = [("品牌型号", f"{attributes.get('brand', '')} {attributes.get('model', '')}"),
            ("初次登记", str(attributes.get("registration_date", ""))),
            ("表显里程", f"{attributes.get('mileage_km', '')} 公里")]  # fmt: skip
    for n, (key, value) in enumerate(rows):
        _text(draw, (220, 350 + n * 56), f"{key}：{value}", 30, (50, 50, 50))
    _label(draw, f"{title[:26]} · 号牌与登记信息（示意）")
    return image


def _machine(rng: random.Random, attributes: dict[str, Any], title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (214, 218, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 470, W, H), fill=(150, 154, 150))
    for x in range(0, W, 120):
        draw.line([(x, 470), (x + 60, H)], fill=(140, 144, 140), width=2)
    if attributes.get("asset_type") == "scrap":
        for _ in range(60):
            x, y = rng.randint(180, 780), rng.randint(330, 470)
            tone = rng.randint(90, 150)
            draw.polygon([(x, y), (x + rng.randint(20, 70), y - rng.randint(5, 40)), (x + rng.randint(30, 90), y + 10)],
                         fill=(tone + 30, tone, tone - 30))  # fmt: skip
    else:
        for n, x in enumerate((140, 520)):  # two machining centres
            draw.rectangle((x, 220, x + 300, 470), fill=(236, 238, 240), outline=(90, 90, 90), width=3)
            draw.rectangle((x + 20, 250, x + 200, 420), fill=(120, 150, 170), outline=(90, 90, 90), width=3)
            draw.rectangle((x + 30, 260, x + 190, 410), fill=(170, 200, 215))
            draw.rectangle((x + 215, 250, x + 285, 330), fill=(40, 44, 50))
            draw.rectangle((x + 222, 258, x + 278, 300), fill=(80, 200, 140) if n == 0 else (90, 170, 220))
            for k in range(3):
                draw.ellipse((x + 222 + k * 20, 308, x + 236 + k * 20, 322), fill=(220, 200, 60))
            draw.rectangle((x, 200, x + 300, 222), fill=(200, 22, 29))
            _text(draw, (x + 16, 198), "CNC", 20, (255, 255, 255))
    quantity = f"{attributes.get('quantity', '')}{attributes.get('quantity_unit', '')}"
    place = str(attributes.get("location", ""))
    _text(draw, (40, 40), f"{quantity} · {place}" if quantity else place, 28, (50, 50, 50))
    _label(draw, f"{title[:26]} · 现场（示意）")
    return image


def _warehouse(rng: random.Random, title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (200, 204, 208))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 0), (W, 0), (W - 200, 200), (200, 200)], fill=(170, 174, 178))
    draw.polygon([(200, 200), (W - 200, 200), (W, H), (0, H)], fill=(160, 160, 150))
    for side in (-1, 1):
        for level in range(4):
            y = 230 + level * 60
            x_in, x_out = (W / 2 + side * 150, W / 2 + side * 460)
            draw.line([(x_in, y), (x_out, y + level * 20 + 60)], fill=(40, 90, 160), width=6)
            for k in range(5):
                t = k / 5
                bx = x_in + (x_out - x_in) * t
                draw.rectangle((min(bx, bx + side * 40), y - 30 + t * 40, max(bx, bx + side * 40), y + t * 40),
                               fill=(190 + rng.randint(0, 40), 150, 90))  # fmt: skip
    _label(draw, f"{title[:26]} · 存放现场（示意）")
    return image


# --------------------------------------------------------------------------- companies, rights, claims


def _emblem(attributes: dict[str, Any], title: str, rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (W, H), (248, 246, 242))
    draw = ImageDraw.Draw(image)
    company = str(attributes.get("company", title))
    hue = rng.choice(((200, 22, 29), (11, 92, 173), (26, 127, 55), (154, 103, 0)))
    draw.ellipse((340, 90, 620, 370), fill=hue)
    draw.ellipse((362, 112, 598, 348), outline=(255, 255, 255), width=6)
    for k in range(8):
        angle = k * math.pi / 4
        draw.line([(480 + 95 * math.cos(angle), 230 + 95 * math.sin(angle)),
                   (480 + 118 * math.cos(angle), 230 + 118 * math.sin(angle))], fill=(255, 255, 255), width=6)  # fmt: skip
    mark = next((ch for ch in company.replace("山西", "").replace("市", "") if "\u4e00" <= ch <= "\u9fff"), "企")
    _text(draw, (430, 170), mark, 100, (255, 255, 255))
    short = company if len(company) <= 16 else company[:16] + "…"
    _text(draw, (480 - len(short) * 19, 400), short, 38, (40, 40, 40))
    _text(draw, (380, 460), "标的企业标识（示意）", 24, (120, 120, 120))
    _label(draw, f"{title[:26]} · 企业标识（示意）")
    return image


def _chart(attributes: dict[str, Any], title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    bars = [("资产总额", "fin_total_assets", (11, 92, 173)), ("负债总额", "fin_total_liabilities", (154, 103, 0)),
            ("所有者权益", "fin_equity", (26, 127, 55)), ("营业收入", "fin_revenue", (200, 22, 29)),
            ("净利润", "fin_net_profit", (120, 60, 160))]  # fmt: skip
    values = [Decimal(str(attributes.get(key) or 0)) for _label_, key, _c in bars]
    top = max([abs(v) for v in values] + [Decimal(1)])
    base_y, height = 500, 360
    draw.line([(90, base_y), (900, base_y)], fill=(60, 60, 60), width=2)
    for n, ((name, _key, color), value) in enumerate(zip(bars, values, strict=True)):
        x = 130 + n * 155
        h = round(abs(value) / top * height)  # the bar's height in pixels (a drawing, not an amount)
        draw.rectangle((x, base_y - h, x + 90, base_y), fill=color)
        _text(draw, (x - 4, base_y - h - 34), f"{value / 10000:,.0f}", 22, (40, 40, 40))
        _text(draw, (x - 6, base_y + 10), name, 22, (60, 60, 60))
    year = attributes.get("fin_year", "")
    _text(draw, (90, 40), f"{year}年度主要财务指标（万元，经审计）", 30, (30, 30, 30))
    _text(draw, (90, 84), f"审计机构：{attributes.get('fin_auditor', '')}", 20, (110, 110, 110))
    _label(draw, f"{title[:26]} · 财务指标图（数据见项目页）")
    return image


def _certificate(attributes: dict[str, Any], title: str, *, heading: str, number: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (236, 230, 218))
    draw = ImageDraw.Draw(image)
    draw.rectangle((150, 40, 810, 590), fill=(253, 251, 245), outline=(170, 140, 90), width=6)
    draw.rectangle((168, 58, 792, 572), outline=(200, 170, 110), width=2)
    _text(draw, (480 - len(heading) * 22, 90), heading, 44, (150, 20, 26))
    _text(draw, (220, 180), number, 24, (60, 60, 60))
    for row in range(6):
        draw.line([(220, 250 + row * 40), (740, 250 + row * 40)], fill=(210, 200, 186), width=2)
    _text(draw, (220, 214), title[:20], 24, (60, 60, 60))
    draw.ellipse((560, 420, 720, 580), outline=(200, 22, 29), width=6)  # seal
    draw.polygon([(640, 468), (650, 496), (680, 496), (656, 512), (664, 540), (640, 522), (616, 540), (624, 512),
                  (600, 496), (630, 496)], fill=(200, 22, 29))  # fmt: skip
    _label(draw, f"{title[:26]} · 权属证明（示意，以原件为准）")
    return image


def _flow(title: str) -> Image.Image:
    image = Image.new("RGB", (W, H), (250, 251, 252))
    draw = ImageDraw.Draw(image)
    steps = ("煤矸石", "破碎筛分", "配料成型", "烧结", "新型墙材")
    for n, step in enumerate(steps):
        x = 60 + n * 180
        draw.rounded_rectangle((x, 250, x + 140, 330), radius=12, fill=(234, 243, 253), outline=(11, 92, 173), width=3)
        _text(draw, (x + 70 - len(step) * 12, 274), step, 24, (11, 92, 173))
        if n < len(steps) - 1:
            draw.line([(x + 140, 290), (x + 178, 290)], fill=(11, 92, 173), width=4)
            draw.polygon([(x + 180, 290), (x + 168, 282), (x + 168, 298)], fill=(11, 92, 173))
    _text(draw, (60, 120), "技术方案示意", 34, (30, 30, 30))
    _label(draw, f"{title[:26]} · 技术路线（示意）")
    return image


def _claim(attributes: dict[str, Any], title: str) -> Image.Image:
    image = _certificate(attributes, title, heading="债权凭证", number=f"债务人：{attributes.get('debtor', '')}")
    draw = ImageDraw.Draw(image)
    _text(draw, (220, 300), f"本金 {attributes.get('principal', '')} 元", 26, (40, 40, 40))
    if attributes.get("interest"):
        _text(draw, (220, 340), f"利息及其他 {attributes['interest']} 元", 26, (40, 40, 40))
    return image


def pictures(category: str, title: str, attributes: dict[str, Any]) -> list[Picture]:
    """Two pictures of a project (file name, caption, image), drawn for its category."""
    rng = random.Random(zlib.crc32(title.encode()))
    a = attributes
    makers: dict[str, list[tuple[str, str, Callable[[], Image.Image]]]] = {
        categories.Category.REAL_ESTATE: [
            ("外观.jpg", "外观", lambda: _facade(rng, str(a.get("use", "commercial")), title)),
            (
                "平面示意.jpg",
                "平面示意图",
                lambda: _floor_plan(rng, str(a.get("area_m2", "")), str(a.get("use", "")), title),
            ),
        ],
        categories.Category.FOREST: [
            ("林地现状.jpg", "林地现状", lambda: _forest(rng, title)),
            (
                "四至范围.jpg",
                "四至范围示意图",
                lambda: _parcel_map(rng, str(a.get("area_mu", "")), title, fields=False),
            ),
        ],
        categories.Category.RURAL: [
            ("地块范围.jpg", "地块范围示意图", lambda: _parcel_map(rng, str(a.get("area_mu", "")), title, fields=True)),
            ("现状.jpg", "现状", lambda: _farmland(rng, title)),
        ],
        categories.Category.MINING: [
            ("矿区现状.jpg", "矿区现状", lambda: _mine(rng, title)),
            ("矿区范围.jpg", "矿区范围示意图", lambda: _mine_map(rng, a, title)),
        ],
        categories.Category.VEHICLE: [
            ("车辆外观.jpg", "车辆外观", lambda: _car(rng, a, title)),
            ("号牌与登记信息.jpg", "号牌与登记信息", lambda: _plate(rng, a, title)),
        ],
        categories.Category.ASSET: [
            ("设备现场.jpg", "现场", lambda: _machine(rng, a, title)),
            ("存放现场.jpg", "存放现场", lambda: _warehouse(rng, title)),
        ],
        categories.Category.IP: [
            (
                "证书.jpg",
                "权属证书",
                lambda: _certificate(a, title, heading="发明专利证书", number=f"专利号 {a.get('registration_no', '')}"),
            ),
            ("技术路线.jpg", "技术路线", lambda: _flow(title)),
        ],
        categories.Category.DEBT: [("债权凭证.jpg", "债权凭证", lambda: _claim(a, title))],
    }
    company = [("企业标识.jpg", "企业标识", lambda: _emblem(a, title, rng)),
               ("财务指标.jpg", "主要财务指标", lambda: _chart(a, title))]  # fmt: skip
    chosen = makers.get(category, company)
    return [(name, caption, make()) for name, caption, make in chosen]


def photos(category: str, title: str, attributes: dict[str, Any]) -> list[tuple[SimpleUploadedFile, str]]:
    """The pictures as JPEG uploads with their captions."""
    return [(_jpeg(name, image), caption) for name, caption, image in pictures(category, title, attributes)]


def _without(section: categories.Section, labels: tuple[str, ...]) -> categories.Section:
    """The section without the rows the report's first table already gives."""
    rows = [r for r in section.rows if r.label not in labels]
    return categories.Section(section.key, section.title, rows, section.tables)


def valuation_report(
    *,
    title: str,
    category: str,
    seller: str,
    attributes: dict[str, Any],
    valuation: Decimal,
    valuation_date: dt.date | None,
    exchange_name: str,
) -> SimpleUploadedFile:
    """资产评估报告（摘要）: the appraiser, the object, method and conclusion with the project's
    figures (book value, appraised value, appreciation; for a company its audited figures)."""
    from weasyprint import HTML

    number = zlib.crc32(title.encode()) % 900 + 100
    sections = categories.disclosure_sections(category, attributes, valuation=valuation, valuation_date=valuation_date)
    context = {
        "title": title,
        "category": categories.Category(category).label,
        "seller": seller,
        "number": f"晋评报字〔{(valuation_date or dt.date.today()).year}〕第{number}号",
        "firm": attributes.get("val_firm") or "山西正信资产评估有限公司（演示）",
        "method": dict(categories.VALUATION_METHODS).get(attributes.get("val_method", ""), "市场法"),
        "valuation": valuation,
        "valuation_date": valuation_date,
        "main": categories.display_attributes(category, attributes, section=categories.MAIN),
        "sections": [
            _without(s, ("评估基准日", "评估机构", "评估方法"))
            for s in sections
            if s.key in (categories.FINANCIALS, categories.VALUATION)
        ],
        "exchange_name": exchange_name,
    }
    html = render_to_string("listings/demo/valuation_report.html", context)
    pdf = HTML(string=html).write_pdf()
    return SimpleUploadedFile("资产评估报告摘要.pdf", bytes(pdf), content_type="application/pdf")
