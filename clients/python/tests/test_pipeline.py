"""The example pipeline, one process per stage, end to end: texts -> articles + images -> thumbnails."""
import json
import os
import subprocess
import sys
import time

import mqgateway
from mqproc import unique

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def stage(name, *args, stdin=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name)] + list(args), input=stdin, capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_ingest_enrich_resize(dev_gateway):
    prefix = unique("PyPipe")
    common = ["--gateways", dev_gateway, "--prefix", prefix]
    assert "sent 3 texts" in stage("ingest.py", *common, stdin="first text\nsecond, longer text here\nthird\n")
    assert "handled 3 texts" in stage("enrich.py", *common, "--count", "3")
    assert "resize: 3 images" in stage("resize.py", *common, "--count", "3", "--threads", "2")
    got = {}
    with mqgateway.connect(dev_gateway) as c:
        until = time.time() + 30
        while len(got) < 6 and time.time() < until:
            for topic, tag in ((prefix + "Articles", "article"), (prefix + "Images", "thumb")):
                for m in c.get(topic, "check", tag_expression=tag, wait_ms=500).messages:
                    got[(tag, m.keys[0])] = m.body
    articles = [json.loads(b) for (t, _), b in got.items() if t == "article"]
    thumbs = [b for (t, _), b in got.items() if t == "thumb"]
    assert sorted(a["text"] for a in articles) == ["first text", "second, longer text here", "third"]
    assert all(1024 <= len(json.dumps(a)) <= 2048 for a in articles)
    assert len(thumbs) == 3
    for t in thumbs:
        head, dims, _ = t.split(b"\n", 3)[:3]
        w, h = (int(v) for v in dims.split())
        assert head == b"P5" and w == 512 and 512 <= h <= 2048
