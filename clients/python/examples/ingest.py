#!/usr/bin/env python3
"""Stage 1: every stdin line becomes a message of <prefix>Texts, tag "text" (batches of 100, with retries)."""
import sys

import stages

import mqgateway


def main() -> int:
    args = stages.parse(__doc__ or "")
    sent = 0
    with mqgateway.Producer(stages.addresses(args)) as p:
        batch = []
        for line in sys.stdin:
            line = line.rstrip("\n")
            if line:
                batch.append(mqgateway.Message(topic=args.prefix + "Texts", body=line.encode("utf-8"), tags="text"))
            if len(batch) == 100:
                sent += sum(1 for r in p.send_batch(batch) if r.ok)
                batch = []
        if batch:
            sent += sum(1 for r in p.send_batch(batch) if r.ok)
    print("ingest: sent %d texts to %sTexts" % (sent, args.prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
