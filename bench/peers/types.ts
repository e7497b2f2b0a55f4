/**
 * The shape every system in the peer benchmark is driven through, so each scenario runs the same loop against
 * RabbitMQ, NATS JetStream, Redis streams and our two paths (Thrift gateway, direct RocketMQ client).
 */

/** Our systems that get a ratio column: the gateway and the direct client, with ASYNC_FLUSH and with SYNC_FLUSH. */
export type OursKind = 'gateway' | 'direct' | 'gw sync' | 'dir sync';

/** One running system (its server processes and a connected client), as the scenarios see it. */
export interface PeerSystem {
  /** Row label, e.g. "RabbitMQ 3.10.8". */
  readonly name: string;
  /** Short durability class printed next to every figure, e.g. "fsync before confirm". */
  readonly durability: string;
  /** Which of "ours" this is (each table has a ratio column per such system), or undefined for a peer. */
  readonly ours?: OursKind;
  /** False for a variant that only differs when consuming (the gateway with receipts publishes like the gateway). */
  readonly publishes: boolean;
  /** True for a variant that only differs when publishing (SYNC_FLUSH): left out of consume and latency. */
  readonly publishOnly?: boolean;
  /** A fresh queue / stream / topic with one consumer group ready, named after `label`. */
  createDest(label: string): Promise<PeerDest>;
  /** Closes clients and stops the processes this system started (by pid). */
  stop(): Promise<void>;
}

/** One queue / stream / topic of a system. */
export interface PeerDest {
  /**
   * Publishes `bodies` and resolves once every one is acknowledged as the durability class says. More than one body
   * is sent as one batch where the API has batches (ours, Redis pipeline), otherwise all in flight at once.
   * `lane` picks a connection for systems whose connections carry one call at a time (Thrift).
   */
  publish(lane: number, bodies: Buffer[]): Promise<void>;
  /**
   * Consumes with `consumers` concurrent consumers, acknowledging each message, until `total` messages were
   * acknowledged or `deadline` (Date.now() ms) passed; resolves with the number acknowledged.
   */
  drain(total: number, consumers: number, deadline: number): Promise<number>;
  /** Starts a consumer that acknowledges each message and hands its body to `onBody`; resolves to its stop function. */
  subscribe(onBody: (body: Buffer) => void): Promise<() => Promise<void>>;
  /** Frees the destination's storage (delete queue / stream) where the system allows it. */
  remove(): Promise<void>;
}
