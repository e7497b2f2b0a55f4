/**
 * A reader for the YAML subset that RocketMQ's `plain_acl.yml` uses, so that ACL needs no new runtime dependency.
 *
 * Supported: block mappings (`key: value`), block sequences (`- item`, including `- key: value` maps whose further
 * keys are indented under the first), nesting by indentation (spaces only), plain, 'single'- and "double"-quoted
 * scalars, flow sequences of scalars (`[a, b]`), empty values (null), `#` comments and `---`/`...` markers.
 * Not supported (refused with the line number): tabs for indentation, anchors and aliases, tags, block scalars
 * (`|`, `>`), flow mappings, multi-document files. Scalars stay strings; the ACL layer reads booleans itself.
 */
import { MqError } from '../../common';

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  no: number;
  indent: number;
  text: string;
}

function fail(file: string, no: number, why: string): never {
  throw new MqError('INVALID_OPTION', `${file}:${no}: ${why}`, { details: { file, line: no } });
}

/** Strips a trailing comment (a `#` after whitespace, outside quotes). */
function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, file: string, no: number): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) fail(file, no, `unterminated double-quoted string ${s}`);
    try {
      return JSON.parse(s) as string;
    } catch {
      fail(file, no, `bad double-quoted string ${s}`);
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) fail(file, no, `unterminated single-quoted string ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) fail(file, no, `unterminated flow sequence ${s}`);
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((p) => scalar(p, file, no));
  }
  if (/^[&*!|>{]/.test(s)) fail(file, no, `unsupported YAML syntax ${JSON.stringify(s)} (anchors, aliases, tags, block scalars and flow maps are not read)`);
  return s;
}

/** Splits `key: rest` (the colon must be followed by a space or end the line); undefined when not a mapping entry. */
function splitKey(text: string): { key: string; rest: string } | undefined {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"#][^:]*?)\s*:(?:\s+(.*))?$/.exec(text);
  if (!m) return undefined;
  let key = m[1];
  if (key.startsWith('"')) key = JSON.parse(key) as string;
  else if (key.startsWith("'")) key = key.slice(1, -1).replace(/''/g, "'");
  return { key, rest: m[2] ?? '' };
}

/** Parses the supported subset; throws MqError INVALID_OPTION naming the file and line. */
export function parseYamlSubset(text: string, file = 'yaml'): YamlValue {
  const lines: Line[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const no = i + 1;
    const lead = /^[ \t]*/.exec(raw)![0];
    if (lead.includes('\t') && raw.trim() !== '') fail(file, no, 'tabs are not allowed for indentation');
    const body = stripComment(raw).trimEnd();
    if (body.trim() === '' || body.trim() === '---' || body.trim() === '...') return;
    lines.push({ no, indent: lead.length, text: body.trim() });
  });
  let pos = 0;

  const parseBlock = (indent: number): YamlValue => {
    const first = lines[pos];
    if (first.text.startsWith('- ') || first.text === '-') return parseSeq(indent);
    return parseMap(indent);
  };

  const parseSeq = (indent: number): YamlValue[] => {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text.startsWith('- ') || lines[pos].text === '-')) {
      const line = lines[pos];
      const rest = line.text === '-' ? '' : line.text.slice(2).trim();
      if (rest === '') {
        pos++;
        out.push(pos < lines.length && lines[pos].indent > indent ? parseBlock(lines[pos].indent) : null);
        continue;
      }
      const kv = splitKey(rest);
      if (kv && !rest.startsWith('"') && !rest.startsWith("'")) {
        // `- key: value` starts a mapping whose further keys sit at the column of `key`.
        const itemIndent = indent + (line.text.length - rest.length);
        lines[pos] = { no: line.no, indent: itemIndent, text: rest };
        out.push(parseMap(itemIndent));
        continue;
      }
      out.push(scalar(rest, file, line.no));
      pos++;
    }
    return out;
  };

  const parseMap = (indent: number): { [key: string]: YamlValue } => {
    const out: { [key: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos].indent === indent) {
      const line = lines[pos];
      if (line.text.startsWith('- ')) fail(file, line.no, 'a sequence item where a mapping key was expected');
      const kv = splitKey(line.text);
      if (!kv) fail(file, line.no, `expected "key: value", got ${JSON.stringify(line.text)}`);
      if (Object.prototype.hasOwnProperty.call(out, kv.key)) fail(file, line.no, `duplicate key ${kv.key}`);
      pos++;
      if (kv.rest.trim() !== '') {
        out[kv.key] = scalar(kv.rest, file, line.no);
        continue;
      }
      // Nested block: deeper indentation, or a sequence at the same indentation (YAML allows `key:\n- item`).
      const next = lines[pos];
      if (next && (next.indent > indent || (next.indent === indent && (next.text.startsWith('- ') || next.text === '-')))) {
        out[kv.key] = parseBlock(next.indent);
      } else {
        out[kv.key] = null;
      }
    }
    if (pos < lines.length && lines[pos].indent > indent) fail(file, lines[pos].no, 'unexpected indentation');
    return out;
  };

  if (lines.length === 0) return null;
  const root = parseBlock(lines[0].indent);
  if (pos < lines.length) fail(file, lines[pos].no, 'unexpected indentation');
  return root;
}
