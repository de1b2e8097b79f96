"""The UNO side of altdeck's slide renderer: a script run by a Python that has `uno`.

Debian's python3-uno exists only for /usr/bin/python3, while altdeck may run
in any venv, so soffice.py runs this file (standard library and `uno` only,
never imported by altdeck) as `python3 -I unohelper.py PROFILE_DIR`, in a
process group of its own that it kills when done.  LibreOffice starts once,
as this process's child in the same group, with its own profile folder.

stdout: {"ready": true} once LibreOffice accepts connections (or {"error": ...}
and exit 3 when `uno` cannot be imported or LibreOffice does not start);
then one answer a line, {"ok": true} or {"error": "..."}, for each request read
from stdin: {"deck": path, "pages": {"3": "/tmp/s3.png"}, "width": 1600, "height": 900}.
The last deck stays loaded while requests name it.  End of stdin: LibreOffice
is told to quit and the helper exits.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

START_TIMEOUT_S = 60


def say(**msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def main(argv) -> int:
    try:
        import uno
        from com.sun.star.beans import PropertyValue
        from com.sun.star.connection import NoConnectException
    except ImportError as e:
        say(error=f"no-uno: {e}")
        return 3

    def pv(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    profile = os.path.abspath(argv[0])
    soffice = shutil.which("soffice")
    if soffice is None:
        say(error="soffice not found")
        return 3
    pipe = "altdeck_" + uuid.uuid4().hex[:16]
    os.makedirs(profile, exist_ok=True)
    office = subprocess.Popen(
        [soffice, "-env:UserInstallation=" + uno.systemPathToFileUrl(profile), "--headless", "--invisible",
         "--nologo", "--norestore", "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if office.poll() is not None:
                say(error=f"LibreOffice exited with code {office.returncode} while starting")
                return 3
            if time.monotonic() > deadline:
                say(error=f"LibreOffice did not start within {START_TIMEOUT_S} s")
                return 3
            time.sleep(0.05)
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    say(ready=True)
    doc, loaded = None, None
    try:
        for line in sys.stdin:
            try:
                req = json.loads(line)
                stamp = (req["deck"], os.stat(req["deck"]).st_mtime_ns)
                if stamp != loaded:
                    if doc is not None:
                        doc.close(True)
                        doc, loaded = None, None
                    doc = desktop.loadComponentFromURL(
                        uno.systemPathToFileUrl(os.path.abspath(req["deck"])), "_blank", 0,
                        (pv("Hidden", True), pv("ReadOnly", True), pv("MacroExecutionMode", 0),
                         pv("UpdateDocMode", 0)))
                    if doc is None:
                        raise RuntimeError("LibreOffice could not open the deck")
                    loaded = stamp
                pages = doc.getDrawPages()
                for number, out in sorted(req["pages"].items(), key=lambda kv: int(kv[0])):
                    index = int(number) - 1
                    if not 0 <= index < pages.getCount():
                        raise RuntimeError(f"LibreOffice sees {pages.getCount()} slides, not slide {number}")
                    flt = smgr.createInstanceWithContext("com.sun.star.drawing.GraphicExportFilter", ctx)
                    flt.setSourceDocument(pages.getByIndex(index))
                    data = uno.Any("[]com.sun.star.beans.PropertyValue",
                                   (pv("PixelWidth", int(req["width"])), pv("PixelHeight", int(req["height"]))))
                    flt.filter((pv("URL", uno.systemPathToFileUrl(os.path.abspath(out))),
                                pv("MediaType", "image/png"), pv("FilterData", data)))
                    if not os.path.exists(out):
                        raise RuntimeError(f"LibreOffice wrote no image for slide {number}")
                say(ok=True)
            except Exception as e:               # noqa: BLE001 - every failure is an answer, one line
                say(error=f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")
    finally:
        try:
            if doc is not None:
                doc.close(True)
            desktop.terminate()
        except Exception:                        # noqa: BLE001 - the bridge dies as LibreOffice quits
            pass
        try:
            office.wait(timeout=10)
        except subprocess.TimeoutExpired:
            office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
