/**
 * SYSFLAG bits of a stored record (ref §4.2). The field is an int32 at byte 36 of a record.
 */
export const SysFlag = {
  /** The body is compressed (zlib unless bits 8-10 say otherwise). */
  COMPRESSED: 0x1,
  /** Set by the broker when the topic's filter type is MULTI_TAG. */
  MULTI_TAGS: 0x2,
  /** Bits 2-3: transaction type. */
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  /** BORNHOST is 16 address bytes + port. */
  BORNHOST_V6: 0x10,
  /** STOREHOST is 16 address bytes + port. */
  STOREHOST_V6: 0x20,
  /** Bits 8-10: compression type (1 = LZ4, 2 = ZSTD, 3 = ZLIB, 0 read as ZLIB). */
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

/** Individual exports, as the contract names them. */
export const COMPRESSED = SysFlag.COMPRESSED;
export const MULTI_TAGS = SysFlag.MULTI_TAGS;
export const TRANSACTION_NOT_TYPE = SysFlag.TRANSACTION_NOT_TYPE;
export const TRANSACTION_PREPARED_TYPE = SysFlag.TRANSACTION_PREPARED_TYPE;
export const TRANSACTION_COMMIT_TYPE = SysFlag.TRANSACTION_COMMIT_TYPE;
export const TRANSACTION_ROLLBACK_TYPE = SysFlag.TRANSACTION_ROLLBACK_TYPE;
export const BORNHOST_V6 = SysFlag.BORNHOST_V6;
export const STOREHOST_V6 = SysFlag.STOREHOST_V6;

/** The transaction type bits (0x0, 0x4, 0x8 or 0xC) of a sysFlag. */
export function transactionType(sysFlag: number): number {
  return sysFlag & 0xc;
}
