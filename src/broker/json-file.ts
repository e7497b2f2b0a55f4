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

/** Same as {@link writeFileAtomic}, synchronously; only for shutdown, when the event loop is about to stop. */
export function writeFileAtomicSync(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, text, 'utf8');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.copyFileSync(file, `${file}.bak`);
  } catch {
    // first write: nothing to back up
  }
  fs.renameSync(tmp, file);
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
