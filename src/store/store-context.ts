/**
 * The part of MessageStore that its helper modules (recovery, reads, put preparation, flushing, retention) use.
 * MessageStore implements it; the helpers depend on this interface only, so imports stay one-way.
 */
import type { Logger } from 'pino';
import type { Checkpoint } from './checkpoint';
import type { CommitLog } from './commit-log';
import type { ConsumeQueue } from './consume-queue';
import type { DispatchRequest } from './dispatch';
import type { IndexService } from './index-service';
import type { StoreOptions } from './options';
import type { QueueRegistry } from './queue-registry';

export interface StoreContext {
  readonly options: StoreOptions;
  readonly logger: Logger;
  readonly commitLog: CommitLog<unknown>;
  readonly cqs: Map<string, ConsumeQueue>;
  readonly index: IndexService;
  readonly queueRegistry: QueueRegistry;
  readonly delayLevels: number[];
  /** Commit-log offset up to which records are dispatched. */
  dispatchedPos: number;
  /** Store time of the last written / dispatched record. */
  lastWrittenTs: number;
  lastDispatchedTs: number;
  diskFull: boolean;
  checkpoint: Checkpoint | undefined;
  findCq(topic: string, queueId: number): ConsumeQueue | undefined;
  findOrCreateCq(topic: string, queueId: number): ConsumeQueue;
  dispatch(r: DispatchRequest): void;
  finishDispatchRound(): void;
  nextQueueOffset(topic: string, queueId: number): number;
  setNextQueueOffset(topic: string, queueId: number, next: number): void;
  abortFile(): string;
  isMaster(): boolean;
  memoryThreshold(): number;
  storeTimeAt(phys: number): number;
  lookMessageByOffset(phys: number): Buffer | null;
  replicationFloor(): number;
}
