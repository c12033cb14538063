#!/usr/bin/env python3
"""Opens the report.html written by `nmfkit fit`, by `nmfkit fit -k auto` and by `nmfkit rank` in
headless Chromium and checks that every image loaded (naturalWidth > 0) and that the page logged
nothing (no error events, no console messages). Keeps screenshots of the pages and the reports
themselves in ARTIFACT_DIR.

    check_report.py NMFKIT ARTIFACT_DIR SOURCE_DIR

Chromium is Debian's `chromium`; when it is missing, `SOURCE_DIR/scripts/install-deps.sh test`
installs it (as root) or says how. A broken copy of the report (one image's data corrupted) must fail the
same check, so the check is known to be able to fail.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

BROWSERS = ["chromium", "chromium-browser", "google-chrome"]

# Injected first into <head>: records error events (scripts, images) and console calls.
RECORDER = """<script>
window.__nmfkit_problems = [];
window.addEventListener('error', function (e) {
  var t = e.target && e.target.tagName ? e.target.tagName + ' failed to load' : String(e.message);
  window.__nmfkit_problems.push(t);
}, true);
['error', 'warn'].forEach(function (level) {
  var original = console[level];
  console[level] = function () {
    window.__nmfkit_problems.push('console.' + level + ': ' + Array.from(arguments).join(' '));
    return original.apply(console, arguments);
  };
});
window.addEventListener('load', function () {
  var widths = Array.from(document.images).map(function (i) {
    return i.complete ? i.naturalWidth : -1;
  });
  var pre = document.createElement('pre');
  pre.id = 'nmfkit-check';
  pre.textContent = JSON.stringify({widths: widths, problems: window.__nmfkit_problems});
  document.body.appendChild(pre);
});
</script>
"""


def find_browser(source_dir):
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    print("check_report: no Chromium found; running scripts/install-deps.sh test", file=sys.stderr)
    subprocess.run([os.path.join(source_dir, "scripts", "install-deps.sh"), "test"], check=False)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_report: FAIL: Chromium is not installed (apt-get install chromium)")


def chromium(browser, work, args, url):
    profile = tempfile.mkdtemp(prefix="profile-", dir=work)  # a fresh user-data dir every run
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
               "--enable-logging=stderr", "--v=0", "--no-first-run", "--disable-extensions",
               "--virtual-time-budget=10000"] + args + [url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def check_page(browser, work, html_path):
    """The problems Chromium sees on the page (an empty list when it is fine) and its image count."""
    html = open(html_path, encoding="utf-8").read()
    expected = len(re.findall(r"<img\b", html))
    probe = os.path.join(work, "probe-" + os.path.basename(html_path))
    with open(probe, "w", encoding="utf-8") as f:
        f.write(html.replace("<head>", "<head>\n" + RECORDER, 1))
    run = chromium(browser, work, ["--dump-dom"], "file://" + probe)
    match = re.search(r'<pre id="nmfkit-check">(.*?)</pre>', run.stdout, re.S)
    if run.returncode != 0 or not match:
        return ["Chromium gave no result (exit %d): %s" % (run.returncode, run.stderr[-2000:])], 0
    result = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    problems = list(result["problems"])
    widths = result["widths"]
    if len(widths) != expected:
        problems.append("the page has %d images, the HTML %d" % (len(widths), expected))
    problems += ["image %d did not load (naturalWidth %d)" % (i, w)
                 for i, w in enumerate(widths) if w <= 0]
    problems += ["console: " + line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return problems, len(widths)


def make_report(nmfkit, work):
    """Fits three 8x8 parts mixed into 80 images of four classes (labels in a CSV file, so the
    report has its Classes section) and returns the report's path."""
    rng = np.random.default_rng(0)
    parts = np.zeros((3, 8, 8))
    parts[0, :4, :4] = 1
    parts[1, 5:7, :] = 1
    parts[2, :, 6] = 1
    x = np.einsum("nk,khw->nhw", rng.uniform(0, 1, (80, 3)), parts).astype(np.float32)
    np.save(os.path.join(work, "parts.npy"), x)
    labels = os.path.join(work, "labels.csv")
    with open(labels, "w", encoding="utf-8") as f:
        f.write("label\n" + "".join("%d\n" % (i % 4) for i in range(80)))
    out = os.path.join(work, "out")
    subprocess.run([nmfkit, "fit", os.path.join(work, "parts.npy"), "-k", "3", "-o", out, "-q",
                    "--labels", "--sort", "usage", "--classes", labels], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(out, "report.html")


def screenshot_of(browser, work, report, screenshot, height=2400):
    if os.path.exists(screenshot):
        os.remove(screenshot)
    run = chromium(browser, work, ["--screenshot=" + screenshot, "--window-size=1280,%d" % height,
                                   "--hide-scrollbars"], "file://" + report)
    with open(screenshot, "rb") as f:
        if run.returncode != 0 or f.read(8) != b"\x89PNG\r\n\x1a\n":
            sys.exit("check_report: FAIL: no screenshot: " + run.stderr[-2000:])


def check_rank_reports(nmfkit, browser, work, artifacts):
    """The choice of k: `nmfkit rank` and `nmfkit fit -k auto` reports show the curve and the
    components of several k, and load cleanly."""
    data = os.path.join(work, "parts.npy")
    runs = {"rank": [nmfkit, "rank", data, "-o", os.path.join(work, "rank"), "-q"],
            "fit-auto": [nmfkit, "fit", data, "-k", "auto", "-o", os.path.join(work, "fit-auto"),
                         "-q"]}
    for name, command in runs.items():
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        report = os.path.join(work, name, "report.html")
        shutil.copy(report, os.path.join(artifacts, name + "-report.html"))
        html = open(report, encoding="utf-8").read()
        for title in ("Choice of k", "Components for several k"):
            if title not in html:
                sys.exit("check_report: FAIL: the %s report has no '%s'" % (name, title))
        problems, images = check_page(browser, work, report)
        if problems:
            sys.exit("check_report: FAIL: the %s report in Chromium:\n  %s"
                     % (name, "\n  ".join(problems)))
        if images < 2:
            sys.exit("check_report: FAIL: the %s report has %d images" % (name, images))
        screenshot_of(browser, work, report, os.path.join(artifacts, name + "-screenshot.png"))


def check_class_reports(nmfkit, browser, work, artifacts, source_dir):
    """The labelled datasets: MNIST at k = 4 and 10 (when MNIST is in the data folder; the test
    does not download it) and Fashion-MNIST at k = 10 (when installed). Their reports show
    classes.png and the class x component table without being asked, and load cleanly. Returns
    the names of the reports checked."""
    data = os.environ.get("NMFKIT_DATA_DIR") or os.path.join(source_dir, "data")
    cases = []
    if os.path.exists(os.path.join(data, "mnist", "train-images-idx3-ubyte")):
        cases += [("mnist", 4), ("mnist", 10)]
    if os.path.exists("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"):
        cases.append(("fashion-mnist", 10))
    checked = []
    for name, k in cases:
        tag = "%s-k%d" % (name, k)
        out = os.path.join(work, tag)
        # 20 iterations: the section is what is checked (the figures in docs/ are full fits),
        # and the sanitizer build runs this test too.
        subprocess.run([nmfkit, "fit", name, "-k", str(k), "-o", out, "-q", "--max-iter", "20"],
                       check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, NMFKIT_DATA_DIR=data))
        report = os.path.join(out, "report.html")
        html = open(report, encoding="utf-8").read()
        expected = ["<h2>Classes</h2>", '<table class="matrix">', "most used by"]
        expected += ["Ankle boot (6000)"] if name == "fashion-mnist" else ["7 (6265)"]
        for part in expected:
            if part not in html:
                sys.exit("check_report: FAIL: the %s report has no '%s'" % (tag, part))
        if not os.path.exists(os.path.join(out, "classes.png")):
            sys.exit("check_report: FAIL: %s wrote no classes.png" % tag)
        problems, images = check_page(browser, work, report)
        if problems or images < 5:
            sys.exit("check_report: FAIL: the %s report in Chromium (%d images):\n  %s"
                     % (tag, images, "\n  ".join(problems)))
        shutil.copy(os.path.join(out, "classes.png"), os.path.join(artifacts, tag + "-classes.png"))
        screenshot_of(browser, work, report, os.path.join(artifacts, tag + "-screenshot.png"),
                      height=4000)
        checked.append(tag)
    return checked


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    nmfkit, artifacts, source_dir = sys.argv[1:]
    os.makedirs(artifacts, exist_ok=True)
    browser = find_browser(source_dir)
    with tempfile.TemporaryDirectory(prefix="nmfkit-report-") as work:
        report = make_report(nmfkit, work)
        shutil.copy(report, os.path.join(artifacts, "report.html"))
        check_rank_reports(nmfkit, browser, work, artifacts)
        labelled = check_class_reports(nmfkit, browser, work, artifacts, source_dir)

        problems, images = check_page(browser, work, report)
        if problems:
            sys.exit("check_report: FAIL: report.html in Chromium:\n  " + "\n  ".join(problems))
        if images < 5:
            sys.exit("check_report: FAIL: expected at least 5 images, the page has %d" % images)
        html = open(report, encoding="utf-8").read()
        for part in ("<h2>Classes</h2>", '<table class="matrix">', "most used by"):
            if part not in html:
                sys.exit("check_report: FAIL: the report has no '%s'" % part)

        # The check must catch a broken image: corrupt the first embedded PNG of a copy.
        broken = os.path.join(work, "broken.html")
        html = open(report, encoding="utf-8").read()
        with open(broken, "w", encoding="utf-8") as f:
            f.write(html.replace("data:image/png;base64,iVBOR", "data:image/png;base64,AAAAA", 1))
        caught, _ = check_page(browser, work, broken)
        if not any("did not load" in p for p in caught):
            sys.exit("check_report: FAIL: a corrupted image was not detected: %s" % caught)

        screenshot = os.path.join(artifacts, "report-screenshot.png")
        screenshot_of(browser, work, report, screenshot)
    print("check_report: %d images loaded, no errors (also the rank and fit -k auto reports, and "
          "the class reports of %s); screenshots in %s"
          % (images, ", ".join(labelled) or "no labelled dataset found", artifacts))


if __name__ == "__main__":
    main()
