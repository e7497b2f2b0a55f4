/**
 * The directory lock (src/common/dir-lock.ts) in one process: a second open is refused naming the holder, a
 * release lets it be taken again, a lock file of a dead process (or RocketMQ's empty `lock` file) is taken over,
 * and the file names the holder while held and is gone after release.
 */
import { expect } from 'chai';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { MqError, acquireDirLock, parseLockFile } from '../../src/common';
import { tempDir } from '../helpers/proc';

describe('common/dir-lock', () => {
  it('refuses a second open naming the holder, and can be taken again after release', async () => {
    const t = tempDir('mq-dirlock-');
    try {
      const a = await acquireDirLock(t.dir, 'first');
      expect(parseLockFile(fs.readFileSync(a.file, 'utf8'))?.pid).to.equal(process.pid);
      const err = await acquireDirLock(t.dir, 'second').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqError.is(err, 'UNAVAILABLE')).to.equal(true);
      expect((err as Error).message).to.contain(`locked by process ${process.pid}`);
      a.release();
      expect(fs.existsSync(a.file)).to.equal(false);
      const b = await acquireDirLock(t.dir, 'third');
      b.release();
    } finally {
      t.cleanup();
    }
  });

  it('takes over a stale lock file (dead pid, or an empty RocketMQ lock file)', async () => {
    const t = tempDir('mq-dirlock-stale-');
    try {
      const file = path.join(fs.realpathSync(t.dir), 'lock');
      for (const stale of [`pid=4194305\nhost=${os.hostname()}\nstarted=1\n`, '']) {
        fs.writeFileSync(file, stale);
        const l = await acquireDirLock(t.dir, 'taker');
        expect(parseLockFile(fs.readFileSync(file, 'utf8'))?.pid).to.equal(process.pid);
        l.release();
      }
      expect(parseLockFile('')).to.equal(undefined);
    } finally {
      t.cleanup();
    }
  });
});
