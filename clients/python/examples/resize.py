#!/usr/bin/env python3
"""Stage 3: <prefix>Images "raw" -> the image halved, to <prefix>Images "thumb"."""
import sys
import threading

import stages

import mqgateway


def main() -> int:
    args = stages.parse(__doc__ or "")
    stop = threading.Event()
    producer = mqgateway.Producer(stages.addresses(args))
    totals = {"n": 0, "in": 0, "out": 0}
    lock = threading.Lock()

    def handle(m: mqgateway.ReceivedMessage) -> None:
        thumb = stages.resize(m.body)
        producer.send(mqgateway.Message(topic=args.prefix + "Images", body=thumb, tags="thumb", keys=m.keys))
        with lock:
            totals["n"] += 1
            totals["in"] += len(m.body)
            totals["out"] += len(thumb)
            if args.count and totals["n"] >= args.count:
                stop.set()

    mqgateway.consume(args.prefix + "Images", args.prefix + "_resize", handle, addresses=stages.addresses(args),
                      tag_expression="raw", max_messages=4, threads=args.threads, stop=stop)
    producer.close()
    print("resize: %d images, %d bytes in, %d bytes out" % (totals["n"], totals["in"], totals["out"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
