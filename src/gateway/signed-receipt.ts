/**
 * Signed receipts: a self-describing receipt (group, topic, queue key `<broker>:<queueId>`, offset, lease, attempt,
 * deadline) plus an HMAC, so that a receipt cannot be forged or edited by a client. Every replica that shares
 * consumers shares the key (option receiptSecret), so any replica can verify any receipt. receiptSecret may be a
 * comma-separated list, to rotate keys: receipts are signed with the first and verified with every one.
 *
 * Version 2 (issued now) signs a *run*: the consecutive offsets of one queue that one reply delivered under one lease.
 * Each receipt of the run carries the run's signed head and its own offset, so a reply of 256 messages from 8 queues
 * costs 8 MACs instead of 256, and an ack of those receipts verifies 8 heads:
 *
 *   signed2 = head "." offset                     ; offset = 1*DIGIT, within [first, last] of the head
 *   head    = "r2." base64url(run) "." mac
 *   run     = group LF topic LF queueKey LF first LF last LF lease LF attempt LF deadline
 *   mac     = base64url(HMAC-SHA256(secret, "r2." base64url(run)))[0..22)   ; 128 bits, no padding
 *
 * Editing the offset within the run names another message the same reply delivered under the same lease (its holder
 * has that message's receipt anyway); any other edit breaks the MAC, and an offset outside the run is rejected.
 * Version 1 receipts (one MAC each, from gateways before this format) still verify:
 *
 *   signed1 = receipt "." mac                     ; receipt = coord's "r1." codec (src/coord/receipt.ts)
 *
 * Pure: no I/O.
 */
import crypto from 'crypto';
import { MAX_RECEIPT_LENGTH, decodeReceipt, encodeReceipt } from '../coord';
import type { ReceiptData } from '../coord';

const MAC_CHARS = 22;
const V2 = 'r2.';

/** What a run of receipts shares: everything but the offset. */
export type ReceiptRun = Omit<ReceiptData, 'offset'>;

interface DecodedRun extends ReceiptRun {
  first: number;
  last: number;
}

const DIGITS = /^\d{1,16}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export class ReceiptSigner {
  private readonly keys: Buffer[];

  /**
   * @param secret the shared HMAC key, or several separated by commas (the first signs, all verify); empty = a random
   * key (receipts then only work on this process).
   */
  constructor(secret: string) {
    const list = secret
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    this.keys = list.length === 0 ? [crypto.randomBytes(32)] : list.map((s) => Buffer.from(s, 'utf8'));
  }

  private mac(text: string, key: Buffer = this.keys[0]): string {
    return crypto.createHmac('sha256', key).update(text, 'utf8').digest('base64url').slice(0, MAC_CHARS);
  }

  /** True when `mac` is the MAC of `text` under one of the keys (constant-time compare). */
  private macOk(text: string, mac: string): boolean {
    if (mac.length !== MAC_CHARS) return false;
    const given = Buffer.from(mac, 'utf8');
    return this.keys.some((k) => {
      const want = Buffer.from(this.mac(text, k), 'utf8');
      return given.length === want.length && crypto.timingSafeEqual(given, want);
    });
  }

  /**
   * Signs a run of consecutive offsets [first, last] delivered under one lease; the receipt of offset o is
   * `head + "." + o` (see {@link receiptOf}).
   */
  signRun(run: ReceiptRun, first: number, last: number): string {
    const payload = `${run.group}\n${run.topic}\n${run.queueKey}\n${first}\n${last}\n${run.lease}\n${run.attempt}\n${run.deadline}`;
    const text = V2 + Buffer.from(payload, 'utf8').toString('base64url');
    return `${text}.${this.mac(text)}`;
  }

  /** The receipt of one offset of a run signed by {@link signRun}. */
  static receiptOf(head: string, offset: number): string {
    return `${head}.${offset}`;
  }

  /** Encodes and signs the receipt of one message (a run of one). */
  sign(r: ReceiptData): string {
    return ReceiptSigner.receiptOf(this.signRun(r, r.offset, r.offset), r.offset);
  }

  /** Encodes and signs a receipt in the version 1 format (one MAC over coord's codec); for compatibility tests. */
  signV1(r: ReceiptData): string {
    const text = encodeReceipt(r);
    return `${text}.${this.mac(text)}`;
  }

  /** Verifies and decodes a receipt; null when it is malformed or its signature does not match. */
  verify(signed: string): ReceiptData | null {
    return this.verifyAll([signed])[0];
  }

  /**
   * Verifies a list of receipts (one result per receipt, in order). Receipts of one run share their head, whose MAC
   * is checked once per call.
   */
  verifyAll(list: readonly string[]): Array<ReceiptData | null> {
    const heads = new Map<string, DecodedRun | null>();
    return list.map((signed) => {
      if (typeof signed !== 'string' || signed.length > MAX_RECEIPT_LENGTH) return null;
      if (signed.startsWith(V2)) return this.verifyV2(signed, heads);
      return this.verifyV1(signed);
    });
  }

  private verifyV2(signed: string, heads: Map<string, DecodedRun | null>): ReceiptData | null {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return null;
    const digits = signed.slice(dot + 1);
    if (!DIGITS.test(digits)) return null;
    const offset = Number(digits);
    const head = signed.slice(0, dot);
    let run = heads.get(head);
    if (run === undefined) {
      run = this.decodeHead(head);
      heads.set(head, run);
    }
    if (!run || !Number.isSafeInteger(offset) || offset < run.first || offset > run.last) return null;
    return { group: run.group, topic: run.topic, queueKey: run.queueKey, offset, lease: run.lease, attempt: run.attempt, deadline: run.deadline };
  }

  /** Checks a version 2 head's MAC and decodes its run; null when either fails. */
  private decodeHead(head: string): DecodedRun | null {
    const dot = head.lastIndexOf('.');
    if (dot <= V2.length) return null;
    const text = head.slice(0, dot);
    const body = text.slice(V2.length);
    if (!B64URL.test(body) || !this.macOk(text, head.slice(dot + 1))) return null;
    const parts = Buffer.from(body, 'base64url').toString('utf8').split('\n');
    if (parts.length !== 8) return null;
    const [group, topic, queueKey, ...nums] = parts;
    if (!group || !topic || !queueKey || !nums.every((n) => DIGITS.test(n))) return null;
    const [first, last, lease, attempt, deadline] = nums.map(Number);
    if (![first, last, lease, attempt, deadline].every(Number.isSafeInteger) || first > last) return null;
    return { group, topic, queueKey, first, last, lease, attempt, deadline };
  }

  private verifyV1(signed: string): ReceiptData | null {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0 || signed.length - dot - 1 !== MAC_CHARS) return null;
    const text = signed.slice(0, dot);
    return this.macOk(text, signed.slice(dot + 1)) ? decodeReceipt(text) : null;
  }
}
