#!/usr/bin/env python3
"""Stage 2: <prefix>Texts "text" -> a JSON article (<prefix>Articles "article") and an image (<prefix>Images "raw")."""
import sys
import threading

import stages

import mqgateway


def main() -> int:
    args = stages.parse(__doc__ or "")
    stop = threading.Event()
    producer = mqgateway.Producer(stages.addresses(args))
    done = [0]
    lock = threading.Lock()

    def handle(m: mqgateway.ReceivedMessage) -> None:
        text = m.body.decode("utf-8")
        results = producer.send_batch([
            mqgateway.Message(topic=args.prefix + "Articles", body=stages.article(text), tags="article", keys=[m.msg_id]),
            mqgateway.Message(topic=args.prefix + "Images", body=stages.image(text), tags="raw", keys=[m.msg_id]),
        ])
        for r in results:
            if r.error is not None:
                raise r.error  # not acked: the text comes back, and both are sent again
        with lock:
            done[0] += 1
            if args.count and done[0] >= args.count:
                stop.set()

    stats = mqgateway.consume(args.prefix + "Texts", args.prefix + "_enrich", handle, addresses=stages.addresses(args),
                              tag_expression="text", max_messages=8, threads=args.threads, stop=stop)
    producer.close()
    print("enrich: handled %d texts (failed %d)" % (stats.handled, stats.failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
