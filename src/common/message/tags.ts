/**
 * Tag hashing for consume-queue filtering (ref §4.8): Java `String.hashCode()` over UTF-16 code units, int32.
 */

/** Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` in int32 arithmetic. `"TagA"` gives 2598919. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The consume-queue tags code of a TAGS value: its Java hash code, or 0 when there are no tags. */
export function tagsCode(tags?: string): number {
  if (tags === undefined || tags === '') return 0;
  return javaStringHashCode(tags);
}
