/**
 * Small persistence helper for the broker's config files (topics.json, consumerOffset.json, delayOffset.json;
 * ref §5.10): write `<file>.tmp`, fsync, keep the previous content as `<file>.bak`, rename. Loading falls back to
 * `.bak` when the main file is missing, empty or unreadable.
 */
import fs from 'fs';
import path from 'path';
import { parseFastJson } from '../common/fastjson';

/** Writes `text` to `file` atomically (never leaves a half-written file behind). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.copyFile(file, `${file}.bak`);
  } catch {
    // first write: nothing to back up
  }
  await fs.promises.rename(tmp, file);
}

/** Reads and parses a config file (fastjson bare integer keys accepted), or its `.bak`; undefined if neither. */
export function readJsonFile(file: string): unknown {
  for (const candidate of [file, `${file}.bak`]) {
    try {
      const text = fs.readFileSync(candidate, 'utf8');
      if (text.trim() === '') continue;
      return parseFastJson(text);
    } catch {
      // missing or unreadable: try the backup
    }
  }
  return undefined;
}

/**
 * Serializes the writes of one file: each write starts after the previous one finished, so two writers never
 * share the `.tmp` file. `write` resolves when that write is done (and rejects if it failed).
 */
export class SerialFileWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  write(text: () => string): Promise<void> {
    const next = this.chain.then(() => writeFileAtomic(this.file, text()));
    // Keep the chain alive after a failure; the caller still sees the rejection.
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write issued so far has finished. */
  idle(): Promise<void> {
    return this.chain;
  }
}
