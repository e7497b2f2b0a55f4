/**
 * Message ids.
 *
 * Offset msgId (ref §4.5):  hex( storeHostAddr:4|16  port:i32  physicalOffset:i64 ), upper case; 32 chars = IPv4.
 * Unique id  (ref §4.6):    hex( ip:4  pid:i16  classLoaderHash:i32  msSinceMonthStart:i32  counter:i16 ), 32 chars.
 */
import * as os from 'os';
import { MqError } from '../errors';
import { HostPort, ipBytes, ipString } from './host';
import { readLong, writeLong } from './long';

/** Upper-case hex of every byte value. */
const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Hex of address + port, per store host (a broker has one or two). */
const prefixCache = new Map<string, string>();

/** Builds the offset msgId of a record from its store host and physical offset. */
export function createOffsetMsgId(storeHost: HostPort, physicalOffset: number): string {
  const key = `${storeHost.ip}:${storeHost.port}`;
  let prefix = prefixCache.get(key);
  if (prefix === undefined) {
    const ip = ipBytes(storeHost.ip);
    const buf = Buffer.allocUnsafe(ip.length + 4);
    ip.copy(buf, 0);
    buf.writeInt32BE(storeHost.port | 0, ip.length);
    prefix = buf.toString('hex').toUpperCase();
    if (prefixCache.size < 256) prefixCache.set(key, prefix);
  }
  if (physicalOffset >= 0 && physicalOffset <= Number.MAX_SAFE_INTEGER) {
    // 16 hex digits by table lookups: this runs once per stored message.
    let hi = Math.floor(physicalOffset / 4294967296);
    let lo = physicalOffset >>> 0;
    let out = '';
    for (let i = 0; i < 4; i++) {
      out = HEX_BYTE[lo & 0xff] + out;
      lo >>>= 8;
    }
    for (let i = 0; i < 4; i++) {
      out = HEX_BYTE[hi & 0xff] + out;
      hi >>>= 8;
    }
    return prefix + out;
  }
  const buf = Buffer.allocUnsafe(8);
  writeLong(buf, physicalOffset, 0);
  return prefix + buf.toString('hex').toUpperCase();
}

/** Decodes an offset msgId; throws MqError('INVALID_ARGUMENT') when it is not 32 or 56 hex characters. */
export function decodeOffsetMsgId(id: string): { host: HostPort; physicalOffset: number } {
  if ((id.length !== 32 && id.length !== 56) || !/^[0-9a-fA-F]+$/.test(id)) {
    throw new MqError('INVALID_ARGUMENT', `msgId ${JSON.stringify(id)} is not 32 or 56 hex characters`);
  }
  const buf = Buffer.from(id, 'hex');
  const ipLen = id.length === 32 ? 4 : 16;
  return {
    host: { ip: ipString(buf, 0, ipLen), port: buf.readInt32BE(ipLen) },
    physicalOffset: readLong(buf, ipLen + 4),
  };
}

/** Per-process fixed part, as hex: a local-ish IPv4, pid and a random stand-in for the Java ClassLoader hash. */
let uniqPrefix: string | undefined;
let counter = Math.floor(Math.random() * 65536);
let monthStart = 0;
let nextMonthStart = 0;
/** The hex of the time field for the millisecond in `lastMs` (most ids of a busy producer share a millisecond). */
let lastMs = -1;
let lastMsHex = '';

function localIPv4(): Buffer {
  // Use the first non-internal IPv4 interface; fall back to 4 bytes of the current time, as Java does.
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return ipBytes(a.address);
  }
  const t = Buffer.allocUnsafe(4);
  t.writeUInt32BE(Date.now() >>> 0, 0);
  return t;
}

function refreshMonth(now: number): void {
  const d = new Date(now);
  monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

/** Upper-case hex of the 32 bits of `v` (two's complement for negative values), 8 characters. */
function hex32(v: number): string {
  return HEX_BYTE[(v >>> 24) & 0xff] + HEX_BYTE[(v >>> 16) & 0xff] + HEX_BYTE[(v >>> 8) & 0xff] + HEX_BYTE[v & 0xff];
}

/**
 * A new client unique id (UNIQ_KEY), 32 upper-case hex characters: the per-process prefix (ip:4 pid:i16
 * classLoaderHash:i32), milliseconds since the start of the month (i32) and a 16-bit counter. Built from cached hex
 * strings and a byte table (no Buffer, no hex encoding per id): the producer makes one per message.
 */
export function createUniqId(): string {
  if (uniqPrefix === undefined) {
    const b = Buffer.allocUnsafe(10);
    localIPv4().copy(b, 0);
    b.writeUInt16BE(process.pid & 0xffff, 4);
    b.writeInt32BE((Math.random() * 0x7fffffff) | 0, 6);
    uniqPrefix = b.toString('hex').toUpperCase();
  }
  const now = Date.now();
  if (now >= nextMonthStart) refreshMonth(now);
  if (now !== lastMs) {
    lastMs = now;
    lastMsHex = hex32((now - monthStart) | 0);
  }
  counter = (counter + 1) & 0xffff;
  return uniqPrefix + lastMsHex + HEX_BYTE[counter >>> 8] + HEX_BYTE[counter & 0xff];
}
