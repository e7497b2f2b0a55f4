/**
 * Signed receipts: coord's self-describing receipt (group, topic, queue key `<broker>:<queueId>`, offset, lease,
 * attempt, deadline) plus an HMAC, so that a receipt cannot be forged or edited by a client. Every replica that
 * shares consumers shares the key (option receiptSecret), so any replica can verify any receipt. receiptSecret may be
 * a comma-separated list, to rotate keys: receipts are signed with the first and verified with every one.
 *
 *   signed = receipt "." mac
 *   mac    = base64url(HMAC-SHA256(secret, receipt))[0..22)   ; 128 bits, no padding
 *
 * Pure: no I/O.
 */
import crypto from 'crypto';
import { decodeReceipt, encodeReceipt } from '../coord';
import type { ReceiptData } from '../coord';

const MAC_CHARS = 22;

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

  /** Encodes and signs a receipt with the first key. */
  sign(r: ReceiptData): string {
    const text = encodeReceipt(r);
    return `${text}.${this.mac(text)}`;
  }

  /** Verifies and decodes a receipt; null when it is malformed or its signature does not match. */
  verify(signed: string): ReceiptData | null {
    if (typeof signed !== 'string') return null;
    const dot = signed.lastIndexOf('.');
    if (dot <= 0 || signed.length - dot - 1 !== MAC_CHARS) return null;
    const text = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1), 'utf8');
    const ok = this.keys.some((k) => {
      const want = Buffer.from(this.mac(text, k), 'utf8');
      return given.length === want.length && crypto.timingSafeEqual(given, want);
    });
    return ok ? decodeReceipt(text) : null;
  }
}
