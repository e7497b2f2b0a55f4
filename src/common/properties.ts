/**
 * A reader for Java `.properties` files, the format RocketMQ operators already use for brokers and name servers.
 *
 * Grammar (the subset of java.util.Properties that config files use):
 *   line      := blank | comment | entry
 *   comment   := ws* ('#' | '!') any*
 *   entry     := ws* key ws* ('=' | ':' | ws) ws* value
 *   a line ending in an odd number of backslashes continues on the next line (leading ws of it dropped);
 *   escapes \t \n \r \f \\ \= \: \# \! \uXXXX are decoded in keys and values.
 */
import { MqError } from './errors';

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    switch (e) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return e;
    }
  });
}

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** One entry of a properties file with the (1-based) line it starts on. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** Parses properties text into entries in file order, each with its line number (for error messages). */
export function parsePropertyEntries(text: string): PropertyEntry[] {
  const out: PropertyEntry[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    // Find the first unescaped separator.
    let sep = -1;
    for (let j = 0; j < line.length; j++) {
      const c = line[j];
      if (c === '\\') {
        j++;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') {
        sep = j;
        break;
      }
    }
    const rawKey = sep < 0 ? line : line.slice(0, sep);
    let rest = sep < 0 ? '' : line.slice(sep);
    rest = rest.replace(/^[ \t\f]*[=:]?[ \t\f]*/, '');
    out.push({ key: unescape(rawKey), value: unescape(rest).replace(/[ \t]+$/, ''), line: lineNo });
  }
  return out;
}

/** Parses properties text into a plain object. Later keys win over earlier ones. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of parsePropertyEntries(text)) out[e.key] = e.value;
  return out;
}

export interface ParsedArgs {
  /** `--key=value` and `--key value` pairs; a bare `--flag` is "true". */
  options: Record<string, string>;
  /** Everything that is not an option, in order. */
  positionals: string[];
}

/**
 * Parses command-line arguments of the form `--key=value`, `--key value`, `-k value` and `--flag`.
 * @param shortNames maps one-letter flags (as mqadmin uses) to their long names.
 * @param booleanFlags long names that never take a separate value.
 */
export function parseArgs(
  argv: readonly string[],
  shortNames: Record<string, string> = {},
  booleanFlags: readonly string[] = ['help'],
): ParsedArgs {
  const options: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      value = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(a)) {
      name = shortNames[a.slice(1)] ?? a.slice(1);
    } else if (/^-[a-zA-Z]=/.test(a)) {
      name = shortNames[a[1]] ?? a[1];
      value = a.slice(3);
    }
    if (name === undefined) {
      positionals.push(a);
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (!booleanFlags.includes(name) && next !== undefined && !next.startsWith('-')) {
        value = next;
        i++;
      } else {
        value = 'true';
      }
    }
    if (name === '') throw new MqError('INVALID_ARGUMENT', `empty option name in ${JSON.stringify(a)}`);
    options[name] = value;
  }
  return { options, positionals };
}
