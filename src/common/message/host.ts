/**
 * Host address fields of a record (ref §4.1 fields 10 and 12, ref §4.5):
 *   IPv4: 4 address bytes + int32 port (8 bytes); IPv6: 16 address bytes + int32 port (20 bytes).
 */
import { MqError } from '../errors';

/** An IP address and port as stored in records. */
export interface HostPort {
  ip: string;
  port: number;
}

/** True when `ip` is written in IPv6 form (contains a colon and is not an IPv4-mapped address). */
export function isIPv6(ip: string): boolean {
  return ip.includes(':') && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip);
}

/** Address bytes of an IP: 4 for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
export function ipBytes(ip: string): Buffer {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : ip;
  if (!v4.includes(':')) {
    const parts = v4.split('.');
    if (parts.length !== 4) throw new MqError('INVALID_ARGUMENT', `not an IPv4 address: ${JSON.stringify(ip)}`);
    const out = Buffer.allocUnsafe(4);
    for (let i = 0; i < 4; i++) {
      const n = Number(parts[i]);
      if (!Number.isInteger(n) || n < 0 || n > 255) {
        throw new MqError('INVALID_ARGUMENT', `not an IPv4 address: ${JSON.stringify(ip)}`);
      }
      out[i] = n;
    }
    return out;
  }
  // IPv6: expand "::" into the missing zero groups.
  const [head, tail] = v4.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new MqError('INVALID_ARGUMENT', `not an IPv6 address: ${JSON.stringify(ip)}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16) & 0xffff, i * 2));
  return out;
}

/** Renders 4 or 16 address bytes as a dotted IPv4 or a full-form IPv6 string. */
export function ipString(buf: Buffer, offset: number, len: 4 | 16): string {
  if (len === 4) return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2).toString(16));
  return groups.join(':');
}

/** Writes address bytes + int32 port at `offset`; returns the new offset. */
export function writeHost(buf: Buffer, offset: number, host: HostPort, v6: boolean): number {
  const b = ipBytes(host.ip);
  if (v6 && b.length === 4) {
    // An IPv4 host in a V6-flagged field: store it IPv4-mapped.
    buf.fill(0, offset, offset + 10);
    buf[offset + 10] = 0xff;
    buf[offset + 11] = 0xff;
    b.copy(buf, offset + 12);
    offset += 16;
  } else if (!v6 && b.length === 16) {
    throw new MqError('INVALID_ARGUMENT', `IPv6 host ${host.ip} in an IPv4 field; set the V6 sysFlag bit`);
  } else {
    b.copy(buf, offset);
    offset += b.length;
  }
  buf.writeInt32BE(host.port | 0, offset);
  return offset + 4;
}
