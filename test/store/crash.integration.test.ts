import { spawn } from 'child_process';
import * as path from 'path';
import { expect } from 'chai';
import { MessageStore } from '../../src/store';
import { tempDir } from '../helpers/proc';
import { crashBodyLength } from './crash-child';
import { bodyFor, checkedRecord, openStore } from './store-fixtures';

const CHILD = path.join(__dirname, 'crash-child.js');
const KILLS = 20;

interface Cycle {
  acks: Map<number, number>;
  ready: boolean;
  stderr: string;
}

/** Runs the child until a random kill -9; returns the complete ACK lines it printed. */
function runChild(dir: string, mode: string, firstSeq: number): Promise<Cycle> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode, String(firstSeq)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const cycle: Cycle = { acks: new Map(), ready: false, stderr: '' };
    let buf = '';
    // One cycle in five is killed during start-up (possibly mid-recovery), the rest while appending.
    const duringStartup = Math.random() < 0.2;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const guard = setTimeout(kill, 15000);
    if (duringStartup) setTimeout(kill, Math.floor(Math.random() * 300));
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') {
          cycle.ready = true;
          if (!duringStartup) setTimeout(kill, 20 + Math.floor(Math.random() * 250));
        } else {
          const m = /^ACK (\d+) (\d+)$/.exec(line);
          if (m) cycle.acks.set(Number(m[1]), Number(m[2]));
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (cycle.stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code ?? signal}: ${cycle.stderr}`));
      resolve(cycle);
    });
  });
}

function expectAcked(store: MessageStore, seq: number, phys: number): void {
  const raw = store.lookMessageByOffset(phys);
  expect(raw, `acknowledged message ${seq} at ${phys} is missing`).to.not.equal(null);
  const r = checkedRecord(raw!);
  expect(r.properties.SEQ).to.equal(String(seq));
  expect(r.body.equals(bodyFor(seq, crashBodyLength(seq))), `body of ${seq}`).to.equal(true);
}

/** Every record of both queues from `from[q]` on decodes, passes its CRC and carries the body of its SEQ. */
async function expectNoGarbage(store: MessageStore, from: number[]): Promise<number[]> {
  const ends: number[] = [];
  for (let q = 0; q < 2; q++) {
    let offset = from[q];
    const max = store.getMaxOffsetInQueue('CrashTopic', q);
    while (offset < max) {
      const g = await store.getMessage('g', 'CrashTopic', q, offset, 32, 1 << 20);
      expect(g.status, `queue ${q} offset ${offset}`).to.equal('FOUND');
      for (const raw of g.records) {
        const r = checkedRecord(raw);
        const seq = Number(r.properties.SEQ);
        expect(r.body.equals(bodyFor(seq, crashBodyLength(seq)))).to.equal(true);
      }
      offset = g.nextBeginOffset;
    }
    ends.push(max);
  }
  return ends;
}

describe('store/crash recovery (kill -9)', function () {
  this.timeout(120000);

  for (const mode of ['ASYNC_FLUSH', 'SYNC_FLUSH']) {
    it(`keeps every acknowledged message and serves no garbage across ${KILLS} random kills with ${mode}`, async () => {
      const { dir, cleanup } = tempDir('mq-store-crash-');
      try {
        const all = new Map<number, number>();
        let from = [0, 0];
        let acked = 0;
        let pending = new Map<number, number>();
        for (let cycle = 0; cycle < KILLS; cycle++) {
          const c = await runChild(dir, mode, cycle * 1000000);
          acked += c.acks.size;
          for (const [seq, phys] of c.acks) pending.set(seq, phys);
          // Every other kill the next child itself recovers from the crash (and appends more before its own kill);
          // after the other kills this process recovers the store and checks it, then leaves it cleanly.
          if (cycle % 2 === 0) continue;
          const store = await openStore(dir, {
            mappedFileSizeCommitLog: 256 * 1024,
            mappedFileSizeConsumeQueue: 20 * 1000,
            maxHashSlotNum: 1000,
            maxIndexNum: 4000,
          });
          try {
            for (const [seq, phys] of pending) {
              expectAcked(store, seq, phys);
              all.set(seq, phys);
            }
            pending = new Map();
            from = await expectNoGarbage(store, from);
            // The consume queues hold at least every acknowledged message.
            expect(from[0] + from[1]).to.be.at.least(all.size);
          } finally {
            await store.shutdown();
          }
        }
        expect(acked).to.be.greaterThan(0);
        // Final pass: everything acknowledged in any cycle is still there.
        // The fixture's smaller index sizes this time: index files of the other size are rebuilt from the commit log.
        const store = await openStore(dir, { mappedFileSizeCommitLog: 256 * 1024, mappedFileSizeConsumeQueue: 20 * 1000 });
        try {
          for (const [seq, phys] of all) expectAcked(store, seq, phys);
          const k = [...all.keys()][Math.floor(all.size / 2)];
          expect(store.queryMessage('CrashTopic', `K${k}`, 5, 0, Date.now() + 1000).records).to.have.length(1);
        } finally {
          await store.shutdown();
        }
      } finally {
        cleanup();
      }
    });
  }
});
