/**
 * Body CRC of a record (ref §4.1 field 3): `CRC32(body) & 0x7FFFFFFF`, IEEE polynomial as java.util.zip.CRC32.
 */
import * as zlib from 'zlib';

type Crc32Fn = (data: Buffer, value?: number) => number;

/** zlib.crc32 exists from Node 20.15; a table-driven fallback keeps older runtimes working. */
const native: Crc32Fn | undefined = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

let table: Uint32Array | undefined;
function fallbackCrc32(data: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Unsigned CRC32 (IEEE) of `data`. */
export function crc32(data: Buffer): number {
  return native ? native(data) >>> 0 : fallbackCrc32(data);
}

/** The stored BODYCRC value: CRC32 of the body masked to 31 bits. */
export function bodyCrc(body: Buffer): number {
  return crc32(body) & 0x7fffffff;
}
