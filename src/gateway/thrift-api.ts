/**
 * The only door to the generated Thrift code (gen/, from idl/gateway.thrift): the structs, enums and the service
 * module of MessageGateway, re-exported under stable names for the rest of src/gateway. gen/ is copied next to the
 * compiled sources by the build (scripts/copy-gen.js), so the relative path works from src/ and from dist/src/.
 */
import Int64 from 'node-int64';
import * as MessageGatewayService from '../../gen/MessageGateway';
import * as T from '../../gen/gateway_types';

export { MessageGatewayService, T };

const TWO_32 = 4294967296;

/**
 * Thrift i64 fields take a node-int64 value; our offsets and timestamps are safe JS integers. A safe integer is
 * written into an 8-byte buffer of Node's pool (node-int64 itself allocates with the deprecated `new Buffer`, whose
 * deprecation check showed in profiles: several i64 per message); the bytes are the same two's complement.
 */
export function i64(n: number): Int64 {
  if (!Number.isSafeInteger(n)) return new Int64(n);
  const b = Buffer.allocUnsafe(8);
  const hi = Math.floor(n / TWO_32);
  b.writeInt32BE(hi, 0);
  b.writeUInt32BE(n - hi * TWO_32, 4);
  return new Int64(b);
}

/** Reads an i64 the Thrift library decoded (Int64) or a plain number back as a JS number. */
export function toNumber(v: Int64 | number | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? v : v.toNumber();
}
