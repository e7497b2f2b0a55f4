/**
 * Tag subscription expressions (ref §3.5 FilterAPI): null, "" or "*" match everything; otherwise the string is
 * split on `||`, each tag trimmed, and `codeSet` holds each tag's Java hash code. Pure.
 */
import { MqError } from '../../common';
import { javaStringHashCode } from '../../common/message';

export interface Subscription {
  /** The expression as sent to the broker (`*` or tags joined with ` || `). */
  expression: string;
  /** True for `*`. */
  all: boolean;
  tags: Set<string>;
  codes: Set<number>;
}

/** Parses `*` or `A || B`. Throws INVALID_ARGUMENT for an expression with an empty tag (e.g. `A ||`). */
export function parseSubscription(expr?: string): Subscription {
  const s = (expr ?? '').trim();
  if (s === '' || s === '*') return { expression: '*', all: true, tags: new Set(), codes: new Set() };
  const tags = s.split('||').map((t) => t.trim());
  if (tags.some((t) => t === '')) {
    throw new MqError('INVALID_ARGUMENT', `tag expression ${JSON.stringify(expr)} has an empty tag; use "*" or "A || B"`);
  }
  return {
    expression: tags.join(' || '),
    all: false,
    tags: new Set(tags),
    codes: new Set(tags.map(javaStringHashCode)),
  };
}
