/**
 * Pure helpers on sorted, disjoint, half-open offset ranges ([from, to), from < to). The memory backend uses them
 * directly; src/coord/lua/lib.lua implements the same operations for the Redis scripts.
 */
import type { OffsetRange } from './types';

/** Sorts, drops empty ranges and merges overlapping or adjacent ones. */
export function normalize(ranges: readonly OffsetRange[]): OffsetRange[] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Ranges covering exactly the given offsets (any order, duplicates allowed). */
export function fromOffsets(offsets: readonly number[]): OffsetRange[] {
  return normalize(offsets.map((o) => [o, o + 1] as const));
}

/** How many offsets the ranges cover. */
export function countOf(ranges: readonly OffsetRange[]): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0);
}

/** True when `offset` lies in one of the ranges. */
export function contains(ranges: readonly OffsetRange[], offset: number): boolean {
  return ranges.some(([a, b]) => offset >= a && offset < b);
}

/** The part of the ranges inside [from, to). */
export function clip(ranges: readonly OffsetRange[], from: number, to: number): OffsetRange[] {
  const out: OffsetRange[] = [];
  for (const [a, b] of ranges) {
    const x = Math.max(a, from);
    const y = Math.min(b, to);
    if (y > x) out.push([x, y]);
  }
  return out;
}

/** The ranges minus one offset (unchanged when it is not covered). */
export function removeOffset(ranges: readonly OffsetRange[], offset: number): OffsetRange[] {
  const out: OffsetRange[] = [];
  for (const [a, b] of ranges) {
    if (offset < a || offset >= b) {
      out.push([a, b]);
      continue;
    }
    if (offset > a) out.push([a, offset]);
    if (offset + 1 < b) out.push([offset + 1, b]);
  }
  return out;
}

/** Splits off the first `n` offsets: [taken, rest]. */
export function takePrefix(ranges: readonly OffsetRange[], n: number): [OffsetRange[], OffsetRange[]] {
  const taken: OffsetRange[] = [];
  const rest: OffsetRange[] = [];
  let left = n;
  for (const [a, b] of ranges) {
    if (left <= 0) rest.push([a, b]);
    else if (b - a <= left) {
      taken.push([a, b]);
      left -= b - a;
    } else {
      taken.push([a, a + left]);
      rest.push([a + left, b]);
      left = 0;
    }
  }
  return [taken, rest];
}
