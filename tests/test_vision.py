"""Vision describers end to end: real doit runs against a real HTTP model server (tests/modelserver.py)."""
import base64
import io
import os
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pptx import Presentation

from altdeck.describe.clean import Unusable, clean
from altdeck.describe.images import ImageError, prepare
from altdeck.describe.prompt import user_prompt
from altdeck.describe.base import Subject
from decks import add_picture, cnvprs, copy_corpus, corpus_deck, full_deck, png
from modelserver import ModelServer
from runs import run_doit

REPO = Path(__file__).resolve().parents[1]
PICTURES = {"missing", "filename", "title-only", "auto-caption", "nested-group", "group",
            "same-image-as-nested", "fill", "placeholder", "svg", "alternate-content"}
FULL_DECK_IMAGES = 10        # distinct images among PICTURES (png 7 is used twice)


def course(tmp_path, **describer):
    describer.setdefault("timeout_s", 5)
    describer.setdefault("retries", 2)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"describer": describer}))
    return tmp_path


def out(folder, rel):
    return folder / "build" / "accessible" / rel


def report(folder, rel):
    return json.loads((folder / "build" / "reports" / (rel + ".json")).read_text())


def picture_deck(path, seeds, title="Cells", notes=""):
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = title
    if notes:
        s.notes_slide.notes_text_frame.text = notes
    for i, seed in enumerate(seeds):
        add_picture(s, png(seed), 0.3 + i)
    prs.save(path)


def assert_full_deck_described(folder, rel, ids, texts):
    """Every picture got one of the server's texts; good, decorative, chart and table did not."""
    got = {}
    for (slide, sid), what in ids.items():
        got[what] = cnvprs(out(folder, rel), slide)[str(sid)].get("descr")
    for what in PICTURES:
        assert got[what] in texts, (what, got[what])
    assert got["nested-group"] == got["same-image-as-nested"]
    assert got["good"] == "Chloroplast under a light microscope, green ovals in a cell."
    assert got["decorative"] in ("", None)
    assert got["chart"] not in texts and got["table"] not in texts
    return got


# ---- Ollama protocol, end to end -----------------------------------------------------------------

def test_ollama_describes_every_picture_once_across_decks_and_runs(tmp_path):
    with ModelServer(models=["llava:latest"]) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        ids = full_deck(folder / "a.pptx")
        (folder / "more").mkdir()
        full_deck(folder / "more" / "b.pptx", notes="Second lecture, same figures.")
        copy_corpus("bug54570.pptx", folder / "emf.pptx")
        copy_corpus("bug62513.pptx", folder / "wmf.pptx")
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        assert "describer: ollama (Ollama at " in r.stdout
        texts = {f"Canned description {n}." for n in srv.images.values()}
        a = assert_full_deck_described(folder, "a.pptx", ids, texts)
        b = assert_full_deck_described(folder, "more/b.pptx", ids, texts)
        assert a == b                                   # same images, same text, described once
        # EMF and WMF previews were rasterized and described
        emf = [o for o in report(folder, "emf.pptx")["objects"] if o["kind"] == "ole"]
        wmf = [o for o in report(folder, "wmf.pptx")["objects"] if o["kind"] in ("ole", "picture")]
        assert emf and all(o["decision"] == "described" and o["text"] in texts for o in emf), emf
        assert len(wmf) == 10 and all(o["decision"] == "described" and o["text"] in texts for o in wmf), wmf
        chats = srv.chats()
        assert all(c["image_count"] == 1 and c["model"] == "llava" for c in chats)
        hashes = [c["image_hashes"][0] for c in chats]
        assert len(hashes) == len(set(hashes))          # no image sent twice
        wmf_distinct = len({o["image"] for o in wmf})
        assert len(chats) == FULL_DECK_IMAGES + 1 + wmf_distinct
        for c in chats:                                  # what the model saw: a PNG within 1024 px
            with Image.open(io.BytesIO(c["image_bytes"][0])) as img:
                assert img.format == "PNG" and img.mode == "RGB" and max(img.size) <= 1024
        # the prompt carries the slide's title, notes and language
        slide1 = [c for c in chats if "Photosynthesis" in c["prompt"]]
        assert slide1 and all("Speaker notes: Explain how leaves turn light into sugar." in c["prompt"] or
                              "Speaker notes: Second lecture, same figures." in c["prompt"] for c in slide1)
        assert all("English (en" in c["prompt"] and "150 characters" in c["prompt"] for c in chats)
        assert not any("image of" in c["prompt"].lower() and "do not" not in c["prompt"].lower() for c in chats)
        tags = [q for q in srv.requests if q["path"] == "/api/tags"]
        assert len(tags) == 1                            # the model is confirmed once per run

        before = len(srv.chats())
        r2 = run_doit(folder)
        assert r2.returncode == 0, r2.stderr
        assert len(srv.chats()) == before                # second run: no request
        assert not [l for l in r2.stdout.splitlines() if l.startswith("built  ")]    # and nothing rebuilt


def test_no_image_is_sent_twice_even_when_deck_outputs_are_gone(tmp_path):
    """The per-image store answers for images already described, in any deck."""
    with ModelServer() as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava:latest")
        picture_deck(folder / "one.pptx", [21, 22])
        assert run_doit(folder).returncode == 0
        picture_deck(folder / "two.pptx", [22, 23])     # 22 again, in another deck
        (folder / "build" / "accessible" / "one.pptx").unlink()
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        assert len(srv.chats()) == 3


# ---- OpenAI protocol -----------------------------------------------------------------------------

def test_openai_protocol_with_key_language_and_chatty_answers(tmp_path):
    secret = "sk-test-DO-NOT-LEAK-4711"
    chatty = ('Sure! Here is the alt text you asked for:\n\n"**The image shows** a green leaf with '
              'visible veins and chloroplasts."\n\nI hope this helps!')
    with ModelServer(models=["qwen2.5vl"], answer=chatty, api_key=secret) as srv:
        folder = course(tmp_path, backend="openai", url=srv.url + "/v1", model="qwen2.5vl",
                        api_key_env="ALTDECK_TEST_KEY")
        (folder / "config.yaml").write_text((folder / "config.yaml").read_text()
                                            + "alt_text: {language: de, max_chars: 80}\n")
        picture_deck(folder / "blatt.pptx", [31, 32], title="Blattaufbau", notes="Chloroplasten zeigen")
        r = run_doit(folder, env={"ALTDECK_TEST_KEY": secret})
        assert r.returncode == 0, r.stdout + r.stderr
        assert "describer: openai" in r.stdout
        chats = srv.chats()
        assert len(chats) == 2 and all(c["path"] == "/v1/chat/completions" for c in chats)
        assert all(c["auth"] == f"Bearer {secret}" for c in chats)
        assert all("German (de)" in c["prompt"] and "Blattaufbau" in c["prompt"]
                   and "Chloroplasten zeigen" in c["prompt"] and "80 characters" in c["prompt"] for c in chats)
        descrs = {e.get("descr") for e in cnvprs(out(folder, "blatt.pptx")).values() if e.get("descr")}
        assert descrs == {"A green leaf with visible veins and chloroplasts."}
        # the key is in no output, report, state file or log
        assert secret not in r.stdout + r.stderr
        for p in folder.rglob("*"):
            if p.is_file():
                assert secret.encode() not in p.read_bytes(), p


def test_openai_without_the_key_stops_with_one_line(tmp_path):
    with ModelServer(api_key="sk-needed") as srv:
        folder = course(tmp_path, backend="openai", url=srv.url + "/v1", model="m", api_key_env="ALTDECK_NO_KEY")
        picture_deck(folder / "d.pptx", [41])
        r = run_doit(folder, env={"ALTDECK_NO_KEY": ""})
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "HTTP 401" in lines[0] and "$ALTDECK_NO_KEY is not set" in lines[0], r.stderr
        assert not (folder / "build").exists()


# ---- concurrency -----------------------------------------------------------------------------------

def test_requests_in_flight_never_exceed_max_concurrency_across_parallel_decks(tmp_path):
    with ModelServer(delay_s=0.3) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", max_concurrency=2)
        for d in range(3):
            picture_deck(folder / f"deck{d}.pptx", [100 + 10 * d + i for i in range(4)])
        r = run_doit(folder, "-n", "3", "-P", "process")
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[0].startswith(f"describer: ollama (Ollama at {srv.url} has llava")
        assert len(srv.chats()) == 12
        assert 1 <= srv.max_in_flight <= 2
        for d in range(3):
            assert report(folder, f"deck{d}.pptx")["summary"]["described"] == 4


def test_decks_built_in_parallel_send_a_shared_image_once(tmp_path):
    with ModelServer(delay_s=0.4) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", max_concurrency=4)
        shared = [201, 202, 203]                     # a logo and figures used by every lecture
        for d in range(3):
            picture_deck(folder / f"lecture{d}.pptx", shared + [210 + d])
        r = run_doit(folder, "-n", "3", "-P", "process")
        assert r.returncode == 0, r.stderr
        hashes = [c["image_hashes"][0] for c in srv.chats()]
        assert len(hashes) == len(set(hashes)) == 6
        texts = [sorted(e.get("descr") for e in cnvprs(out(folder, f"lecture{d}.pptx")).values() if e.get("descr"))
                 for d in range(3)]
        assert all(len(t) == 4 for t in texts)
        common = set(texts[0]) & set(texts[1]) & set(texts[2])
        assert len(common) == 3                      # the shared pictures got the same text in every deck


# ---- honest failures ------------------------------------------------------------------------------

def test_hanging_server_fails_each_deck_at_its_timeout_and_the_next_run_retries(tmp_path):
    with ModelServer(hang=True) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", timeout_s=1, retries=1)
        picture_deck(folder / "one.pptx", [51, 52])
        picture_deck(folder / "two.pptx", [53])
        r = run_doit(folder, timeout=120)
        assert r.returncode != 0
        failed = [l for l in r.stderr.splitlines() if l.startswith("FAILED") and "pptx: " in l]
        assert len(failed) == 2, r.stderr
        assert all("no complete answer within describer.timeout_s=1s" in l and srv.url in l for l in failed)
        assert not (folder / "build" / "accessible").exists() or not any((folder / "build" / "accessible").iterdir())
        srv.hang = False
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        assert report(folder, "one.pptx")["summary"]["described"] == 2


def test_first_answers_500_and_429_are_retried_into_a_complete_run(tmp_path):
    with ModelServer(fail_first=[500, 429]) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", max_concurrency=1, retries=3)
        ids = full_deck(folder / "a.pptx")
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        assert len(srv.chats()) == FULL_DECK_IMAGES + 2
        assert_full_deck_described(folder, "a.pptx", ids, {f"Canned description {n}." for n in srv.images.values()})


def test_a_dropped_connection_is_retried(tmp_path):
    with ModelServer(fail_first=[0]) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        picture_deck(folder / "d.pptx", [65])
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        assert len(srv.chats()) == 2 and report(folder, "d.pptx")["summary"]["described"] == 1


def test_persistent_500_fails_the_deck_with_status_and_url(tmp_path):
    with ModelServer(fail_first=[503] * 10) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", retries=1, max_concurrency=1)
        picture_deck(folder / "d.pptx", [61])
        r = run_doit(folder)
        assert r.returncode != 0
        assert f"FAILED d.pptx: {srv.url}/api/chat: HTTP 503 after 2 tries" in r.stderr
        assert len(srv.chats()) == 2 and not out(folder, "d.pptx").exists()


def test_no_server_is_one_clear_line_and_no_outputs(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                # closed once the block ends: nothing listens there
    folder = course(tmp_path, backend="ollama", url=f"http://127.0.0.1:{port}", model="llava")
    picture_deck(folder / "d.pptx", [71])
    r = run_doit(folder)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert lines == [f"ERROR: no Ollama answers at http://127.0.0.1:{port} (connection refused)"], r.stderr
    assert not (folder / "build").exists()
    # commands that build nothing still work without the server
    listed = run_doit(folder, "list", "--all")
    assert listed.returncode == 0 and "build:d.pptx" in listed.stdout
    check = run_doit(folder, "check")
    assert "d.pptx" in check.stdout and "run altdeck" in check.stdout and "Ollama" not in check.stderr
    # auto falls back to offline and says why
    course(tmp_path, backend="auto", url=f"http://127.0.0.1:{port}", model="llava")
    r = run_doit(folder)
    assert r.returncode == 0, r.stderr
    assert f"describer: offline (no Ollama answers at http://127.0.0.1:{port}" in r.stdout
    assert report(folder, "d.pptx")["summary"]["pending"] == 1


def test_missing_model_says_how_to_pull_it(tmp_path):
    with ModelServer(models=["moondream:latest"]) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        picture_deck(folder / "d.pptx", [81])
        r = run_doit(folder)
        assert r.returncode != 0
        assert r.stderr.strip() == f"ERROR: model llava not found at {srv.url}, run `ollama pull llava`"
        assert not srv.chats()
        course(tmp_path, backend="auto", url=srv.url, model="llava")     # auto: offline, says why
        r = run_doit(folder)
        assert r.returncode == 0 and "describer: offline (model llava not found" in r.stdout


def test_garbage_answer_fails_the_deck_and_writes_nothing(tmp_path):
    with ModelServer(garbage=True) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        picture_deck(folder / "d.pptx", [91, 92])
        r = run_doit(folder)
        assert r.returncode != 0
        line = [l for l in r.stderr.splitlines() if l.startswith("FAILED d.pptx: ")]
        assert len(line) == 1 and "HTTP 200 with '<html>502 upstream" in line[0] \
            and "expected JSON with message.content" in line[0], r.stderr
        assert not out(folder, "d.pptx").exists()
        assert not (folder / "build" / "reports" / "d.pptx.json").exists()


def test_refusal_leaves_the_picture_pending_not_filled(tmp_path):
    with ModelServer(answer="I'm sorry, but I can't describe this image.") as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        picture_deck(folder / "d.pptx", [95])
        r = run_doit(folder)
        assert r.returncode == 0, r.stderr
        obj = [o for o in report(folder, "d.pptx")["objects"] if o["kind"] == "picture"][0]
        assert obj["decision"] == "pending" and "declined" in obj["reason"]
        assert not any(e.get("descr") for e in cnvprs(out(folder, "d.pptx")).values())


# ---- cleaning and image preparation (pure functions, real inputs) ---------------------------------

@pytest.mark.parametrize("raw, want", [
    ('Sure! Here is the alt text:\n\n"The image shows a bar chart of sales, West highest."\n\nI hope this helps!',
     "A bar chart of sales, West highest."),
    ("Alt text: **Leaf cross-section** with chloroplasts.", "Leaf cross-section with chloroplasts."),
    ("An image of three gears turning.", "Three gears turning."),
    ("Here's a concise description:\nWater cycle: evaporation,\ncondensation, rain.", "Water cycle: evaporation, condensation, rain."),
    ("<think>hmm</think>“Students in a lecture hall.”", "Students in a lecture hall."),
    ("A graph\x00 of\x07 growth.", "A graph of growth."),
    ("## Alt Text\n\n- Map of Europe with the Alps highlighted.", "Map of Europe with the Alps highlighted."),
])
def test_clean_strips_chatter(raw, want):
    assert clean(raw, 150) == want


def test_clean_cuts_at_a_sentence_or_word_boundary():
    text = clean("A timeline of the project. It spans five phases from planning to delivery and review.", 40)
    assert text == "A timeline of the project."
    assert clean("word " * 50, 42).endswith("word") and len(clean("word " * 50, 42)) <= 42


@pytest.mark.parametrize("raw", ["", "   ", '""', "I'm sorry, I can't help with that.",
                                 "I cannot identify people in images.", None])
def test_clean_refuses_empty_and_refusals(raw):
    with pytest.raises(Unusable):
        clean(raw, 150)


def _img(mode, size, fmt, **kw):
    buf = io.BytesIO()
    Image.new(mode, size, **kw).save(buf, fmt)
    return buf.getvalue()


def _open(data):
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_prepare_downscales_flattens_and_converts():
    big = _open(prepare(_img("RGB", (3000, 1500), "JPEG", color=(200, 10, 10)), "image/jpeg"))
    assert big.format == "PNG" and big.size == (1024, 512)
    cmyk = _open(prepare(_img("CMYK", (50, 40), "JPEG", color=(0, 255, 255, 0)), "image/jpeg"))
    assert cmyk.mode == "RGB" and cmyk.getpixel((5, 5))[0] > 200 and cmyk.getpixel((5, 5))[1] < 60
    clear = _open(prepare(_img("RGBA", (20, 20), "PNG", color=(0, 0, 0, 0)), "image/png"))
    assert clear.mode == "RGB" and clear.getpixel((3, 3)) == (255, 255, 255)   # transparent -> white, not black


def test_prepare_takes_the_first_frame_of_an_animated_gif():
    frames = [Image.new("RGB", (30, 30), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    first = _open(prepare(buf.getvalue(), "image/gif"))
    assert first.getpixel((10, 10))[0] > 200 and first.getpixel((10, 10))[2] < 50


def test_prepare_rejects_a_decompression_bomb():
    bomb = _img("1", (20000, 10000), "PNG")                   # 200 Mpx of zeros: a few KB
    with pytest.raises(ImageError, match="too large"):
        prepare(bomb, "image/png")


@pytest.mark.parametrize("deck, member", [("bug54570.pptx", "ppt/media/image1.emf"),
                                          ("bug62513.pptx", "ppt/media/image4.wmf")])
def test_prepare_rasterizes_corpus_metafiles(deck, member):
    data = zipfile.ZipFile(corpus_deck(deck)).read(member)
    img = _open(prepare(data, "image/x-" + member[-3:]))
    assert img.mode == "RGB" and max(img.size) <= 1024 and img.convert("L").getextrema()[0] < 128  # not blank


def test_unreadable_metafile_is_a_reason_not_a_crash():
    data = zipfile.ZipFile(corpus_deck("bug65551.pptx")).read("ppt/media/image1.emf")
    with pytest.raises(ImageError, match="EMF picture could not be rasterized"):
        prepare(data, "image/x-emf")


def test_prompt_bounds_long_notes():
    s = Subject("picture", slide_title="T", notes="note " * 2000, language="fr", max_chars=120)
    p = user_prompt(s)
    assert len(p) < 1500 and "French (fr)" in p and "120 characters" in p


def test_prepare_rasterizes_an_svg_without_fallback():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
           b'<rect width="100" height="100" fill="#00f"/></svg>')
    img = _open(prepare(svg, "image/svg+xml"))
    assert img.size == (1024, 512) and img.getpixel((100, 100))[2] > 200 and img.getpixel((900, 100)) == (255, 255, 255)


# ---- the build's model broker (describe/broker.py) ---------------------------------------------------

def _chat(seed):
    return {"model": "llava", "stream": False,
            "messages": [{"role": "user", "content": "Describe.", "images": [base64.b64encode(png(seed)).decode()]}]}


def test_the_broker_shares_slots_sends_a_picture_asked_at_once_only_once_and_serves_only_its_user(tmp_path):
    """In front of the real HTTP stand-in: four workers ask the same picture at the same moment and
    two others each their own, with max_concurrency 2; a process of another user gets no answer; close()
    returns at once and a late asker gets one line, not a hang."""
    import subprocess
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor
    from altdeck import config
    from altdeck.describe.broker import Broker, BrokerClient
    from altdeck.errors import DescribeError
    with ModelServer(delay_s=0.3, slots=4) as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava", max_concurrency=2)
        broker = Broker(config.load(folder), "ollama")
        address = broker.start()
        asks = [(_chat(1), "same")] * 4 + [(_chat(2), "two"), (_chat(3), "three")]
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda a: BrokerClient(address).post_json("/api/chat", a[0], "x", a[1]), asks))
        assert [a["message"]["content"] for a in answers[:4]] == [answers[0]["message"]["content"]] * 4
        assert len(srv.chats()) == 3 and srv.max_in_flight == 2            # once per picture, K at a time
        again = BrokerClient(address).post_json("/api/chat", _chat(1), "x", "same")   # answered a moment ago
        assert again == answers[0] and len(srv.chats()) == 3

        other_user = ("import socket, struct, sys, os; os.setgid(65534); os.setuid(65534); "
                      "s = socket.socket(socket.AF_UNIX); s.connect('\\0' + sys.argv[1]); "
                      "body = b'{\"path\": \"/api/chat\", \"payload\": {}, \"expected\": \"x\"}'; "
                      "\ntry:\n    s.sendall(struct.pack('>I', len(body)) + body); print(repr(s.recv(100)))\n"
                      "except OSError as e:\n    print('refused', e.errno)")
        if os.getuid() == 0:
            r = subprocess.run([sys.executable, "-c", other_user, address.lstrip("\0")], capture_output=True, text=True, timeout=30)
            out = r.stdout.strip()           # closed unanswered: nothing read, or the send reset/broken
            assert r.returncode == 0 and (out == "b''" or out in ("refused 32", "refused 104")), r.stdout + r.stderr
            assert len(srv.chats()) == 3

        started = time.monotonic()
        broker.close()
        assert time.monotonic() - started < 0.05                          # no polling loop to wait out
        with pytest.raises(DescribeError, match="model broker is gone"):
            BrokerClient(address).post_json("/api/chat", _chat(4), "x", "four")


def test_a_no_op_build_starts_no_broker_and_a_changed_deck_starts_one(tmp_path, monkeypatch):
    """The broker (and its HTTP client) is started by the first deck that is built: a no-op run over a
    described course makes none; a run that rebuilds one deck makes one and its request goes through it."""
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain
    from altdeck import tasks
    from altdeck.describe import broker as broker_module
    made = []
    real_init = broker_module.Broker.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)
    with ModelServer() as srv:
        folder = course(tmp_path, backend="ollama", url=srv.url, model="llava")
        picture_deck(folder / "a.pptx", [1, 2])
        picture_deck(folder / "b.pptx", [3])
        assert run_doit(folder).returncode == 0 and len(srv.chats()) == 3
        monkeypatch.setattr(broker_module.Broker, "__init__", counting_init)
        monkeypatch.chdir(folder)
        dodo = {name: getattr(tasks, name) for name in tasks.__all__}
        assert DoitMain(ModuleTaskLoader(dodo)).run([]) == 0
        assert made == [] and len(srv.chats()) == 3                       # nothing built, nothing started
        picture_deck(folder / "b.pptx", [3, 4])
        assert DoitMain(ModuleTaskLoader(dodo)).run([]) == 0
        assert len(made) == 1 and len(srv.chats()) == 4                   # one deck rebuilt: one broker
