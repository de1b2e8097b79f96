"""Pictures for OCR tests and the OCR benchmark, rendered with Pillow: text (code, terminals,
English and German paragraphs, quotes, in several fonts and sizes, optionally in a window with
a title bar) and pictures that are not text (photo-like scenes, some with a street sign, bar
charts, flat shapes, box-and-arrow diagrams).  Deterministic: the same arguments give the same bytes.

Fonts come from Debian's fonts-dejavu-core and fonts-urw-base35 (.ci/run installs them); a missing
font falls back to Pillow's own, so nothing here fails on a machine without them.
"""
import io
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
URW = "/usr/share/fonts/opentype/urw-base35/"
FONTS = {
    "DejaVu Sans Mono": DEJAVU + "DejaVuSansMono.ttf",
    "DejaVu Sans": DEJAVU + "DejaVuSans.ttf",
    "DejaVu Serif": DEJAVU + "DejaVuSerif.ttf",
    "DejaVu Serif Italic": DEJAVU + "DejaVuSerif-Italic.ttf",
    "DejaVu Sans Bold": DEJAVU + "DejaVuSans-Bold.ttf",
    "Nimbus Mono (Courier)": URW + "NimbusMonoPS-Regular.otf",
    "Nimbus Sans (Helvetica)": URW + "NimbusSans-Regular.otf",
    "Nimbus Roman (Times)": URW + "NimbusRoman-Regular.otf",
    "Nimbus Roman Italic": URW + "NimbusRoman-Italic.otf",
}

# What a lecture shows as pictures of text.  Each fits a 150-character alt text with its label.
CODE = [
    "def mean(xs):\n    return sum(xs) / len(xs)\nprint(mean([1, 2, 3]))",
    "for (int i = 0; i < n; i++) {\n    total += a[i] * b[i];\n}",
    "SELECT name, COUNT(*) FROM users\nWHERE age >= 18 GROUP BY name;",
    "const sum = xs.reduce((a, b) => a + b, 0);\nif (sum !== 0) { return sum; }",
    "class Stack:\n    def push(self, x): self.items.append(x)",
]
TERMINAL = [
    "$ ls -la /home/user\n-rw-r--r-- 1 user user 220 .bashrc\n$ python3 --version\nPython 3.11.7",
    "user@host:~/proj$ git status\nOn branch main\nnothing to commit, working tree clean",
    "$ pip install requests\nSuccessfully installed requests-2.31.0",
    "$ make -j4\ngcc -O2 -Wall -c main.c -o main.o\n$ ./main --help",
    "Traceback (most recent call last):\n  File \"main.py\", line 3, in <module>\nZeroDivisionError: division by zero",
]
ENGLISH = [
    "Photosynthesis converts light energy into chemical energy.\nWater is split and oxygen is released.",
    "A hash table stores key-value pairs in buckets.\nLookups take constant time on average.",
    "Supply and demand determine market prices.\nWhen demand rises, prices increase.",
    "Always validate user input on the server.\nClient-side checks can be bypassed.",
    "The French Revolution began in 1789.\nIt abolished feudal privileges in France.",
]
GERMAN = [
    "Die Größe der Stichprobe beeinflusst die Genauigkeit.\nAusreißer müssen gesondert geprüft werden.",
    "Übungsaufgaben finden Sie im Lernportal.\nBitte geben Sie Ihre Lösungen bis Donnerstag ab.",
    "Die Wärmeleitfähigkeit hängt vom Material ab.\nStyropor dient deshalb zur Dämmung.",
    "Äpfel und Birnen gehören zum Kernobst.\nÖffentliche Gärten zeigen über hundert Sorten.",
    "Gemäß der Prüfungsordnung ist eine Anmeldung nötig.\nFristen müssen eingehalten werden.",
]
QUOTES = [
    "“The best way to predict the future\nis to invent it.”\n— Alan Kay",
    "“Simplicity is prerequisite for reliability.”\n— Edsger W. Dijkstra",
    "„Wer nicht fragt, bleibt dumm.“\n— Sprichwort",
    "“Programs must be written for people to read.”\n— Harold Abelson",
    "“Premature optimization is the root of all evil.”\n— Donald Knuth",
]
CATEGORIES = {   # category -> (texts, fonts, foreground, background)
    "code": (CODE, ["DejaVu Sans Mono", "Nimbus Mono (Courier)"], (20, 20, 20), (255, 255, 255)),
    "terminal": (TERMINAL, ["DejaVu Sans Mono", "Nimbus Mono (Courier)"], (220, 220, 220), (30, 30, 30)),
    "english": (ENGLISH, ["DejaVu Sans", "Nimbus Roman (Times)"], (0, 0, 0), (255, 255, 255)),
    "german": (GERMAN, ["Nimbus Sans (Helvetica)", "DejaVu Serif"], (10, 10, 40), (250, 250, 245)),
    "quote": (QUOTES, ["DejaVu Serif Italic", "Nimbus Roman Italic"], (40, 20, 0), (245, 238, 220)),
}
SIZES = [12, 16, 20, 24, 32]


@cache
def font(name: str, size: int):
    try:
        return ImageFont.truetype(FONTS[name], size)
    except OSError:      # never Pillow's default font: the tests would read other pictures than they say
        raise RuntimeError(f"{FONTS[name]} is missing: apt install fonts-dejavu-core fonts-dejavu-extra gsfonts "
                           "(.ci/run installs them)") from None


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def text_image(text: str, font_name: str, size: int, fg=(0, 0, 0), bg=(255, 255, 255), pad=None,
               window: str = "") -> Image.Image:
    """The text, line by line, on a plain background; in a window with a title bar when `window`."""
    f = font(font_name, size)
    pad = pad if pad is not None else size
    lines = text.split("\n")
    step = round(size * 1.45)
    width = max(round(f.getlength(line)) for line in lines) + 2 * pad
    height = step * len(lines) + 2 * pad
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * step), line, font=f, fill=fg)
    if window:
        bar = max(24, size + 12)
        framed = Image.new("RGB", (width + 2, height + bar + 1), (120, 120, 120))
        draw = ImageDraw.Draw(framed)
        draw.rectangle([1, 1, width, bar], fill=(225, 225, 228))
        for i, colour in enumerate([(236, 95, 90), (245, 190, 80), (98, 196, 85)]):
            draw.ellipse([8 + i * 18, bar // 2 - 6, 20 + i * 18, bar // 2 + 6], fill=colour)
        draw.text((width // 2 - len(window) * 4, bar // 2 - 7), window, font=font("DejaVu Sans", 13), fill=(60, 60, 60))
        framed.paste(img, (1, bar + 1))
        img = framed
    return img


def text_pictures():
    """Every text picture of the set: [(category, font, size, window, text, image)]."""
    out = []
    for category, (texts, fonts, fg, bg) in CATEGORIES.items():
        for i, size in enumerate(SIZES):
            for j, font_name in enumerate(fonts):
                text = texts[(i + j) % len(texts)]
                window = {"code": "editor.py — Code", "terminal": "Terminal — bash"}.get(category, "") \
                    if (i + j) % 2 else ""
                out.append((category, font_name, size, bool(window), text,
                            text_image(text, font_name, size, fg, bg, window=window)))
    return out


# ---- pictures that are not text ----------------------------------------------------------------

def photo(seed: int, size=(800, 600), sign: str = "") -> Image.Image:
    """A photo-like scene: sky, ground, soft blobs (trees, clouds), grain; a small street sign if asked."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    horizon = rnd.randint(h // 3, h // 2)
    for y in range(h):
        if y < horizon:
            t = y / horizon
            draw.line([(0, y), (w, y)], fill=(int(90 + 100 * t), int(140 + 80 * t), 235))
        else:
            t = (y - horizon) / (h - horizon)
            draw.line([(0, y), (w, y)], fill=(int(70 - 30 * t), int(130 - 50 * t), int(50 - 20 * t)))
    for _ in range(40):
        x, y, r = rnd.randrange(w), rnd.randrange(h), rnd.randint(10, 90)
        colour = rnd.choice([(30, 90, 30), (250, 250, 250), (120, 80, 40), (60, 120, 60), (200, 60, 40)])
        draw.ellipse([x - r, y - r // 2, x + r, y + r], fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(3))
    grain = Image.effect_noise(size, 24).convert("RGB")
    img = Image.blend(img, grain, 0.12)
    if sign:
        draw = ImageDraw.Draw(img)
        f = font("DejaVu Sans Bold", 14)
        x, y = rnd.randint(w // 5, w // 2), rnd.randint(horizon - 60, horizon + 20)
        tw = round(f.getlength(sign))
        draw.rectangle([x, y, x + tw + 16, y + 26], fill=(20, 110, 50), outline=(240, 240, 240), width=2)
        draw.text((x + 8, y + 5), sign, font=f, fill=(255, 255, 255))
        draw.rectangle([x + tw // 2 + 5, y + 26, x + tw // 2 + 11, y + 120], fill=(110, 110, 110))
    return img


def bar_chart(seed: int, size=(640, 400)) -> Image.Image:
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    f = font("DejaVu Sans", 12)
    draw.text((w // 2 - 60, 10), "Sales by year", font=font("DejaVu Sans Bold", 16), fill="black")
    x0, y0, x1, y1 = 60, 40, w - 20, h - 50
    draw.line([(x0, y0), (x0, y1), (x1, y1)], fill="black", width=2)
    for i, v in enumerate(range(0, 101, 25)):
        y = y1 - (y1 - y0) * v / 100
        draw.text((x0 - 30, y - 7), str(v), font=f, fill="black")
    years = [str(2018 + i) for i in range(7)]
    bw = (x1 - x0) / len(years)
    for i, year in enumerate(years):
        v = rnd.randint(20, 95)
        draw.rectangle([x0 + i * bw + 8, y1 - (y1 - y0) * v / 100, x0 + (i + 1) * bw - 8, y1],
                       fill=rnd.choice([(66, 114, 196), (237, 125, 49), (112, 173, 71)]))
        draw.text((x0 + i * bw + bw / 2 - 15, y1 + 8), year, font=f, fill="black")
    draw.text((w // 2 - 15, h - 22), "Year", font=f, fill="black")
    return img


def shapes(seed: int, size=(640, 480)) -> Image.Image:
    rnd = random.Random(seed)
    img = Image.new("RGB", size, rnd.choice(["white", (240, 244, 250), (30, 40, 60)]))
    draw = ImageDraw.Draw(img)
    for _ in range(rnd.randint(3, 7)):
        x, y, r = rnd.randrange(size[0]), rnd.randrange(size[1]), rnd.randint(30, 120)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=colour)
    return img


def diagram(labels, size=(720, 300)) -> Image.Image:
    """Boxes with one-word labels joined by arrows (client -> server -> database)."""
    w, h = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    f = font("DejaVu Sans", 18)
    bw, gap = 150, (w - 150 * len(labels)) // (len(labels) + 1)
    for i, label in enumerate(labels):
        x = gap + i * (bw + gap)
        draw.rounded_rectangle([x, h // 2 - 40, x + bw, h // 2 + 40], 12, fill=(222, 235, 247),
                               outline=(49, 99, 160), width=3)
        draw.text((x + bw // 2 - f.getlength(label) / 2, h // 2 - 11), label, font=f, fill="black")
        if i:
            draw.line([(x - gap + 4, h // 2), (x - 6, h // 2)], fill=(49, 99, 160), width=3)
            draw.polygon([(x - 6, h // 2 - 8), (x - 6, h // 2 + 8), (x + 2, h // 2)], fill=(49, 99, 160))
    return img


# Real photographs from the corpus's decks (Apache POI's test data, Apache-2.0; see tests/corpus/README.md).
REAL_PHOTOS = [("chart-picture-bg.pptx", "ppt/media/image1.jpg"),        # hydrangea blossoms
               ("alterman_security.pptx", "ppt/media/image4.jpeg"),     # people at a garden party
               ("alterman_security.pptx", "ppt/media/image6.jpeg"),     # two girls on a swing
               ("keyframes.pptx", "ppt/media/image2.jpeg"),             # palm trees and a resort
               ("smartart-simple.pptx", "ppt/media/image1.jpeg"),       # a surfer on a wave
               ("bug64693.pptx", "ppt/media/image3.jpg")]               # a robot hand, 2001 x 1125


def real_photos() -> list:
    """[(name, image bytes)] of REAL_PHOTOS, read from the decks in tests/corpus."""
    import zipfile
    from pathlib import Path
    corpus = Path(__file__).resolve().parent / "corpus"
    out = []
    for deck, member in REAL_PHOTOS:
        with zipfile.ZipFile(next(corpus.glob(f"*/{deck}"))) as z:
            out.append((f"{deck}:{member.rsplit('/', 1)[-1]}", z.read(member)))
    return out


def other_pictures():
    """Every non-text picture of the set: [(category, image)]; diagrams are reported apart (borderline)."""
    out = [("photo", photo(s)) for s in range(4)]
    out += [("photo with a sign", photo(10 + i, sign=sign)) for i, sign in
            enumerate(["MAIN ST", "Hauptstraße", "EXIT 12", "Bahnhof"])]
    out += [("bar chart", bar_chart(s)) for s in range(4)]
    out += [("shapes", shapes(s)) for s in range(4)]
    out += [("diagram", diagram(labels)) for labels in
            (["Client", "Server", "Database"], ["Input", "Model", "Output"], ["Idea", "Draft", "Review", "Print"])]
    return out
