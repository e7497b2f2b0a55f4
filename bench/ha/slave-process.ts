/**
 * The slave half of bench/ha when master and slave run in separate processes: opens a SLAVE store in the directory
 * given, replicates from the master HA address given, and reports every append to the parent over IPC as
 * `{ end, at }` (at = epoch ms with sub-ms precision, comparable with the parent's clock). Stops on `'stop'`.
 * Usage (by index.ts only): node slave-process.js <masterHaAddr> <dir> <fileSize>
 */
import pino from 'pino';
import { HAClient } from '../../src/broker/ha';
import { MessageStore } from '../../src/store';

async function main(): Promise<void> {
  const [master, dir, fileSize] = process.argv.slice(2);
  const logger = pino({ level: 'warn' });
  const store = new MessageStore(
    { storePathRootDir: dir, brokerRole: 'SLAVE', mappedFileSizeCommitLog: Number(fileSize), messageIndexEnable: false },
    { logger },
  );
  await store.load();
  await store.start();
  const raw = store.appendCommitLogRaw.bind(store);
  store.appendCommitLogRaw = async (start: number, data: Buffer): Promise<boolean> => {
    const ok = await raw(start, data);
    if (ok) process.send?.({ end: start + data.length, at: performance.timeOrigin + performance.now() });
    return ok;
  };
  const client = new HAClient(store, { haConnectRetryInterval: 50 }, { logger });
  client.start();
  client.setMasterAddress(master);
  process.on('message', (m) => {
    if (m !== 'stop') return;
    void (async () => {
      await client.shutdown();
      await store.shutdown();
      process.exit(0);
    })();
  });
  process.send?.({ ready: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
