"""What the example stages share: topic names, the article builder, the image (binary PGM) maker and resizer.

Pipeline (the same in the Go and PHP examples):
  ingest.py   stdin lines           -> <prefix>Texts    tag "text"
  enrich.py   <prefix>Texts "text"  -> <prefix>Articles tag "article" (1-2 KiB JSON) + <prefix>Images tag "raw" (1-5 MB)
  resize.py   <prefix>Images "raw"  -> <prefix>Images   tag "thumb" (the image halved in both directions)
Every consumer is at-least-once: a message is acked only after what it produced was stored.
"""
import argparse
import hashlib
import json
import os
import sys
from typing import List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout too


def parse(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--gateways", default="127.0.0.1:9090", help="gateway addresses, comma-separated (failover in order)")
    p.add_argument("--prefix", default="Pipeline", help="prefix of the topic names")
    p.add_argument("--count", type=int, default=0, help="stop after this many messages (0 = until SIGINT/SIGTERM)")
    p.add_argument("--threads", type=int, default=1, help="consumer threads")
    return p.parse_args()


def addresses(args: argparse.Namespace) -> List[str]:
    return str(args.gateways).split(",")


def article(text: str) -> bytes:
    words = text.split()
    doc = {"id": hashlib.sha256(text.encode()).hexdigest()[:16], "title": text[:40].upper(), "text": text,
           "words": len(words), "chars": len(text), "summary": (text + " ") * max(1, 1200 // (len(text) + 1))}
    return json.dumps(doc).encode()


def image(text: str) -> bytes:
    """A greyscale binary PGM of 1-5 MB whose size and pattern depend on the text."""
    h = hashlib.sha256(text.encode()).digest()
    w, rows = 1024, 1024 + h[0] * 12
    base = bytes(((x * (h[1] + 1)) >> 3) & 0xFF for x in range(w))
    step = h[2] + 1
    out = [b"P5\n%d %d\n255\n" % (w, rows)]
    for y in range(rows):
        s = (y * step) % w
        out.append(base[s:] + base[:s])
    return b"".join(out)


def resize(pgm: bytes) -> bytes:
    """Halves a binary 8-bit PGM in both directions (nearest neighbour)."""
    parts = pgm.split(b"\n", 3)
    if len(parts) != 4 or parts[0] != b"P5" or parts[2] != b"255":
        raise ValueError("not a binary 8-bit PGM")
    w, h = (int(v) for v in parts[1].split())
    pixels = parts[3]
    if len(pixels) != w * h:
        raise ValueError("PGM of %dx%d has %d pixel bytes" % (w, h, len(pixels)))
    nw, nh = w // 2, h // 2
    rows = [pixels[2 * y * w:2 * y * w + 2 * nw:2] for y in range(nh)]
    return b"P5\n%d %d\n255\n" % (nw, nh) + b"".join(rows)
