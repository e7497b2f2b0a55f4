/**
 * The list of consume queues the store has ever created, `consumequeue/.queues` (our own file; one
 * `<topic>\t<queueId>` line per queue, appended when a queue is created). Recovery compares it with the queue
 * directories it finds: a listed queue whose files are gone is rebuilt by re-dispatching the commit log.
 * Topic names cannot contain a tab or start with a dot, so the file never clashes with a topic directory.
 */
import * as fs from 'fs';
import * as path from 'path';

export class QueueRegistry {
  readonly file: string;
  private readonly known = new Set<string>();

  constructor(cqRoot: string) {
    this.file = path.join(cqRoot, '.queues');
  }

  /** Reads the list (a torn last line is ignored); null when the file does not exist. */
  load(): Array<{ topic: string; queueId: number }> | null {
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    const out: Array<{ topic: string; queueId: number }> = [];
    const lines = text.split('\n');
    // The last element is '' after a complete last line, or a torn line otherwise: skip it either way.
    for (const line of lines.slice(0, -1)) {
      const m = /^([^\t]+)\t(\d+)$/.exec(line);
      if (!m || this.known.has(line)) continue;
      this.known.add(line);
      out.push({ topic: m[1], queueId: Number(m[2]) });
    }
    return out;
  }

  /** Records a queue once (a small synchronous append; it happens once per queue). */
  register(topic: string, queueId: number): void {
    const line = `${topic}\t${queueId}`;
    if (this.known.has(line)) return;
    this.known.add(line);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, line + '\n');
  }

  /** Forgets every queue of a topic (topic deletion); rewrites the file. */
  forgetTopic(topic: string): void {
    for (const k of [...this.known]) if (k.startsWith(`${topic}\t`)) this.known.delete(k);
    const tmp = this.file + '.tmp';
    fs.writeFileSync(tmp, [...this.known].map((l) => l + '\n').join(''));
    fs.renameSync(tmp, this.file);
  }
}
