/**
 * Every Redis key of the coordination state, built in this one place.
 *
 *   <prefix>:groups                          SET   every group with state (for the offset writer)
 *   <prefix>:{<group>}:queues                SET   members "<topic>:<queueKey>" of the group (URI-encoded parts)
 *   <prefix>:{<group>}:<topic>:<queueKey>:s  HASH  cur (claim cursor), seq (last lease id), free (ranges), com (committed)
 *   ...:l                                    HASH  lease id -> "from to deadline attempt ranges"
 *   ...:lo                                   ZSET  lease id scored by its lowest pending offset
 *   ...:dl                                   ZSET  lease id scored by its deadline (ms since the epoch)
 *   ...:x                                    ZSET  fully acked lease ids scored by when (repeated acks: ALREADY_ACKED)
 *   <prefix>:{<group>}:flush                 STRING the replica that writes the group's offsets now (with a TTL)
 *   <prefix>:generations                     HASH  cluster generations the gateways share (field → JSON; no TTL)
 *
 * The state hash also holds `log` (the log identity the state is tied to). Every key of a group expires after
 * groupStateTtlMs without use (each script renews the keys it touches).
 * The group sits in a hash tag ({...}), so every key a script touches for one group maps to one Redis Cluster slot.
 * Names are URI-encoded, so ':' '{' '}' inside a name cannot be confused with the separators.
 */
import type { QueueRef } from './types';

/** The six keys every Lua script gets, in the order they expect them (KEYS[1..6]). */
export interface QueueKeys {
  readonly state: string;
  readonly leases: string;
  readonly lowest: string;
  readonly deadlines: string;
  readonly done: string;
  readonly groupQueues: string;
}

const enc = encodeURIComponent;

/** Builds the keys of the coordination state under `prefix` (the option redisKeyPrefix). */
export class CoordKeys {
  constructor(private readonly prefix: string) {}

  /** SET of every group name with state. */
  groups(): string {
    return `${this.prefix}:groups`;
  }

  /** SET of the group's queue members, see {@link CoordKeys.member}. */
  groupQueues(group: string): string {
    return `${this.prefix}:{${enc(group)}}:queues`;
  }

  /** The member of {@link CoordKeys.groupQueues} for one queue. */
  member(topic: string, queueKey: string): string {
    return `${enc(topic)}:${enc(queueKey)}`;
  }

  /** Parses a member back into topic and queue key. */
  parseMember(member: string): { topic: string; queueKey: string } {
    const i = member.indexOf(':');
    return { topic: decodeURIComponent(member.slice(0, i)), queueKey: decodeURIComponent(member.slice(i + 1)) };
  }

  /** HASH of the cluster generations the gateways share (src/gateway/generations.ts). */
  generations(): string {
    return `${this.prefix}:generations`;
  }

  /** The group's offset-writer lock. */
  flushLock(group: string): string {
    return `${this.prefix}:{${enc(group)}}:flush`;
  }

  queue(q: QueueRef): QueueKeys {
    const base = `${this.prefix}:{${enc(q.group)}}:${this.member(q.topic, q.queueKey)}`;
    return {
      state: `${base}:s`,
      leases: `${base}:l`,
      lowest: `${base}:lo`,
      deadlines: `${base}:dl`,
      done: `${base}:x`,
      groupQueues: this.groupQueues(q.group),
    };
  }
}
