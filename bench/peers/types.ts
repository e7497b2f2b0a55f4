/**
 * The shape every system in the peer benchmark is driven through, so each phase runs the same loop against Redis
 * LIST, Redis Streams, RabbitMQ, NATS JetStream and ours (Thrift gateway, and direct to the broker with our client).
 */
import type { RolePid } from './cpu';
import type { SystemKey } from './goals';

/** One running system (its server processes and a connected client), as the phases see it. */
export interface PeerSystem {
  /** Row label, e.g. "RabbitMQ 3.10.8". */
  readonly name: string;
  /** Which system this is, for the goals. */
  readonly key: SystemKey;
  /** Short durability class printed next to every figure, e.g. "fsync before confirm". */
  readonly durability: string;
  /** True when the API publishes a batch in one call (ours, Redis); false: single publishes in flight together. */
  readonly batches: boolean;
  /** Consume modes, each drained and measured on its own (e.g. gateway: "auto-ack", "receipts"). */
  readonly consumeModes: string[];
  /** The server processes whose CPU is accounted, each under a role ("server", or gateway / broker / namesrv). */
  pids(): RolePid[];
  /** A fresh queue / stream / topic, ready for every consume mode, named after `label`. */
  createDest(label: string): Promise<PeerDest>;
  /** Closes clients and stops the processes this system started (by pid). */
  stop(): Promise<void>;
}

/** One queue / stream / topic of a system. */
export interface PeerDest {
  /**
   * Publishes `bodies` and resolves once every one is acknowledged as the durability class says. More than one body
   * is sent as one batch where the API has batches (ours, Redis), otherwise all in flight at once.
   * `lane` picks a connection for systems whose connections carry one call at a time (Thrift).
   */
  publish(lane: number, bodies: Buffer[]): Promise<void>;
  /**
   * Consumes in `mode` with `consumers` concurrent consumers, each taking up to `batch` messages per call (or with
   * that many unacknowledged, for push consumers), acknowledging each, until `total` were acknowledged or `deadline`
   * (Date.now() ms) passed; resolves with the number acknowledged. Each mode reads the whole destination (its own
   * consumer group) where the system has groups.
   */
  drain(mode: string, total: number, consumers: number, batch: number, deadline: number): Promise<number>;
  /** Starts a consumer that acknowledges each message and hands its body to `onBody`; resolves to its stop function. */
  subscribe(onBody: (body: Buffer) => void): Promise<() => Promise<void>>;
  /** Frees the destination's storage (delete queue / stream) where the system allows it. */
  remove(): Promise<void>;
}
