/**
 * Tag subscriptions (ref §3.5 FilterAPI, §4.8): `*` (or empty) matches everything; otherwise tags split on `||`,
 * trimmed, compared by Java String.hashCode in the store (the consume-queue tags code) and by string in clients.
 */
import { javaStringHashCode } from '../common/message/tags';

/** Subscription of one group to one topic, with RocketMQ's field names (ref §3.5). */
export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
  classFilterMode: boolean;
}

/** Builds subscription data from an expression as FilterAPI.buildSubscriptionData does. */
export function buildSubscription(topic: string, subString: string | undefined, subVersion = Date.now()): SubscriptionData {
  const expr = subString === undefined || subString.trim() === '' || subString.trim() === '*' ? '*' : subString;
  const tagsSet: string[] = [];
  const codeSet: number[] = [];
  if (expr !== '*') {
    for (const part of expr.split('||')) {
      const tag = part.trim();
      if (tag === '' || tagsSet.includes(tag)) continue;
      tagsSet.push(tag);
      codeSet.push(javaStringHashCode(tag));
    }
  }
  return { topic, subString: expr, tagsSet, codeSet, subVersion, expressionType: 'TAG', classFilterMode: false };
}

/** A tags-code filter for the store's getMessage, or undefined for "everything". */
export function tagsCodeFilter(sub: SubscriptionData | undefined): ((tagsCode: number) => boolean) | undefined {
  if (!sub || sub.subString === '*' || sub.codeSet.length === 0) return undefined;
  const codes = new Set(sub.codeSet.map((c) => c | 0));
  // The consume queue stores the int hash sign-extended to a long; compare as int (ref §4.8).
  return (tagsCode: number) => codes.has(tagsCode | 0);
}
