/**
 * The part of the store that replication uses (the HA hooks of src/store's MessageStore, see the contracts).
 * Declared structurally so that HA code and its tests depend on behaviour, not on the store's class.
 */

/** Outcome of waiting for a slave to hold the bytes of a SYNC_MASTER put (ref §8.3). */
export type ReplicationResult = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** Called by the store for a SYNC_MASTER put with the commit-log end offset of the message. */
export type ReplicationWaiter = (endOffset: number) => Promise<ReplicationResult>;

export interface HAStore {
  /** End of the commit log (next byte to write). */
  getMaxPhyOffset(): number;
  /** Oldest commit-log offset still retained. */
  getMinPhyOffset(): number;
  /** Up to `maxBytes` committed bytes starting at `fromOffset` (never crossing a file); null when there are none. */
  readCommitLog(fromOffset: number, maxBytes: number): Buffer | null;
  /** Slave side: appends replicated bytes at exactly `startOffset` and dispatches them; false when refused. */
  appendCommitLogRaw(startOffset: number, data: Buffer): Promise<boolean>;
  /** Registers a listener called after each record is dispatched (optional; wakes the master's transfer loops). */
  onArrival?(listener: () => void): void;
  /** Store options; HA reads the commit-log file size (a slave reporting 0 starts at the last file). */
  readonly options: { readonly mappedFileSizeCommitLog: number };
  /** Set by the master HA service; the store calls it for SYNC_MASTER puts. */
  replicationWaiter?: ReplicationWaiter;
  /**
   * Retention floor set by the master HA service: retention keeps commit-log bytes at or beyond this offset (what a
   * connected slave has not yet copied).
   */
  replicatedOffset?: number | (() => number);
}
