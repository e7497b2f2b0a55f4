/**
 * Atomic JSON config files (ref §5.10): write `<file>.tmp` and fsync it, keep the previous content as `<file>.bak`,
 * then rename the tmp file over `<file>` and fsync the directory. Loading falls back to `.bak` when the main file is
 * missing, empty or unreadable.
 */
import * as fs from 'fs';
import * as path from 'path';
import { quoteBareKeys } from '../common/fastjson';

export interface JsonCodec<T> {
  encode(value: T): string;
  decode(text: string): T;
}

/** One config file holding a value of type T. */
export class JsonConfigFile<T> {
  /** Serialises saves so that two persists never interleave their tmp files. */
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly codec: JsonCodec<T>,
  ) {}

  /** Loads the value, from `.bak` if the main file is missing, empty or broken; undefined when neither is usable. */
  async load(): Promise<T | undefined> {
    for (const f of [this.file, this.file + '.bak']) {
      let text: string;
      try {
        text = await fs.promises.readFile(f, 'utf8');
      } catch {
        continue;
      }
      if (text.trim() === '') continue;
      try {
        return this.codec.decode(text);
      } catch {
        continue;
      }
    }
    return undefined;
  }

  /** Writes the value atomically (tmp + fsync + rename + directory fsync). Saves are queued, never interleaved. */
  save(value: T): Promise<void> {
    const text = this.codec.encode(value);
    const run = this.chain.then(() => this.writeAtomically(text));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Saves `snapshot()` every `ms` milliseconds until {@link stopAutoSave} (the timer does not keep the process alive).
   * A failed save is dropped; the next interval writes the then-current value.
   */
  startAutoSave(ms: number, snapshot: () => T): void {
    this.stopAutoSave();
    this.timer = setInterval(() => void this.save(snapshot()).catch(() => undefined), ms);
    this.timer.unref();
  }

  stopAutoSave(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async writeAtomically(text: string): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true });
    const tmp = this.file + '.tmp';
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Keep the previous good content as .bak before replacing it.
    try {
      await fs.promises.copyFile(this.file, this.file + '.bak');
    } catch {
      // no previous file yet
    }
    await fs.promises.rename(tmp, this.file);
    try {
      const dh = await fs.promises.open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      // some file systems refuse fsync on directories; the rename is still atomic
    }
  }
}

/**
 * Quotes fastjson's bare integer object keys (`{0:1,-1:2}`) so JSON.parse accepts them, leaving string contents
 * alone. The one implementation is common's fastjson reader; this name stays for the store's callers.
 */
export const quoteBareIntegerKeys: (text: string) => string = quoteBareKeys;
