/**
 * RocketMQ 4.x broker keys (BrokerConfig, MessageStoreConfig, NettyServerConfig, NettyClientConfig) that this broker
 * does not implement. An operator's existing `broker.conf` starts as it is: keys in {@link BROKER_IGNORED_KEYS} are
 * accepted with one warning that lists them; keys in {@link BROKER_REFUSED_KEYS} are refused when their value asks
 * for something this broker cannot honour. README ("RocketMQ keys without effect") documents both tables; a unit test
 * keeps it in step.
 */
import path from 'path';
import { BROKER_OPTION_SPEC } from './options';

const THREADS = 'Node.js runs one event loop: thread-pool sizes have no meaning here';
const NETTY = 'Netty tuning of the Java remoting layer; Node sockets are used as they are';

/** key → why it has no effect here. */
export const BROKER_IGNORED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  rocketmqHome: 'no installation directory is read; give storePathRootDir and aclFile explicitly',
  namesrvAddrServerUrl: 'brokers take namesrvAddr only (the gateway reads an address server)',
  fetchNamesrvAddrByAddressServer: 'brokers take namesrvAddr only',
  brokerIP2: 'the HA address is brokerIP1:haListenPort',
  pullMessageThreadPoolNums: THREADS,
  processReplyMessageThreadPoolNums: THREADS,
  queryMessageThreadPoolNums: THREADS,
  adminBrokerThreadPoolNums: THREADS,
  clientManageThreadPoolNums: THREADS,
  consumerManageThreadPoolNums: THREADS,
  heartbeatThreadPoolNums: THREADS,
  endTransactionThreadPoolNums: THREADS,
  flushConsumerOffsetHistoryInterval: 'no offset history file is kept',
  pullThreadPoolQueueCapacity: THREADS,
  replyThreadPoolQueueCapacity: THREADS,
  queryThreadPoolQueueCapacity: THREADS,
  clientManagerThreadPoolQueueCapacity: THREADS,
  consumerManagerThreadPoolQueueCapacity: THREADS,
  heartbeatThreadPoolQueueCapacity: THREADS,
  endTransactionPoolQueueCapacity: THREADS,
  waitTimeMillsInPullQueue: 'pulls do not wait in a queue here',
  waitTimeMillsInHeartbeatQueue: 'heartbeats do not wait in a queue here',
  waitTimeMillsInTransactionQueue: 'transactions are not implemented',
  useReentrantLockWhenPutMessage: 'puts are serialised by the event loop, there is no lock to choose',
  warmMapedFileEnable: 'segment files are not pre-touched',
  transientStorePoolEnable: 'writes go straight to the segment files (no off-heap write buffer)',
  transientStorePoolSize: 'writes go straight to the segment files',
  fastFailIfNoBufferInStorePool: 'there is no write-buffer pool',
  commitIntervalCommitLog: 'there is no write-buffer pool to commit from',
  commitCommitLogLeastPages: 'there is no write-buffer pool to commit from',
  commitCommitLogThoroughInterval: 'there is no write-buffer pool to commit from',
  flushConsumeQueueLeastPages: 'consume queues are flushed every flushIntervalConsumeQueue',
  flushConsumeQueueThoroughInterval: 'consume queues are flushed every flushIntervalConsumeQueue',
  flushLeastPagesWhenWarmMapedFile: 'segment files are not pre-touched',
  destroyMapedFileIntervalForcibly: 'segments are closed before deletion, nothing hangs',
  redeleteHangedFileInterval: 'segments are closed before deletion, nothing hangs',
  cleanFileForciblyEnable: 'diskSpaceCleanForciblyRatio decides forced deletion',
  maxDelayTime: 'delay levels come from messageDelayLevel',
  debugLockEnable: 'no lock debugging',
  notifyConsumerIdsChangedEnable: 'consumers are always notified',
  highSpeedMode: 'unused upstream as well',
  commercialEnable: 'commercial statistics are not kept',
  commercialTimerCount: 'commercial statistics are not kept',
  commercialTransCount: 'commercial statistics are not kept',
  commercialBigCount: 'commercial statistics are not kept',
  commercialBaseCount: 'commercial statistics are not kept',
  transferMsgByHeap: 'bodies are sent from the segment files as they lie on disk',
  filterServerNums: 'filter servers are not implemented',
  enablePropertyFilter: 'SQL92 / property filtering is not implemented (tag filtering is)',
  enableCalcFilterBitMap: 'SQL92 filtering is not implemented',
  filterSupportRetry: 'SQL92 filtering is not implemented',
  traceTopicEnable: 'message traces are not collected',
  msgTraceTopicName: 'message traces are not collected',
  transactionTimeOut: 'transactions are not implemented',
  transactionCheckMax: 'transactions are not implemented',
  transactionCheckInterval: 'transactions are not implemented',
  compressedRegister: 'registrations are sent as JSON',
  forceRegister: 'every period registers in full',
  autoDeleteUnusedStats: 'statistics are Prometheus metrics',
  isEnableBatchPush: 'no batch push',
  accountStatsEnable: 'statistics are Prometheus metrics',
  accountStatsPrintZeroValues: 'statistics are Prometheus metrics',
  startAcceptSendRequestTimeStamp: 'sends are accepted once the broker is ready',
  rejectTransactionMessage: 'transactions are not implemented',
  storeReplyMessageEnable: 'request-reply is not implemented',
  serverWorkerThreads: NETTY,
  serverCallbackExecutorThreads: NETTY,
  serverSelectorThreads: NETTY,
  serverOnewaySemaphoreValue: NETTY,
  serverAsyncSemaphoreValue: NETTY,
  serverSocketSndBufSize: NETTY,
  serverSocketRcvBufSize: NETTY,
  serverPooledByteBufAllocatorEnable: NETTY,
  useEpollNativeSelector: NETTY,
  clientWorkerThreads: NETTY,
  clientCallbackExecutorThreads: NETTY,
  clientOnewaySemaphoreValue: NETTY,
  clientAsyncSemaphoreValue: NETTY,
  connectTimeoutMillis: NETTY,
  channelNotActiveInterval: NETTY,
  clientChannelMaxIdleTimeSeconds: NETTY,
  clientSocketSndBufSize: NETTY,
  clientSocketRcvBufSize: NETTY,
  clientPooledByteBufAllocatorEnable: NETTY,
  clientCloseSocketIfTimeout: NETTY,
  useTLS: 'TLS on cluster ports is not implemented: keep them on a private network (see README Security)',
});

const truthy = (v: string): boolean => v.trim().toLowerCase() === 'true';

/** A store path key is harmless when it names the place this broker uses anyway: `<storePathRootDir>/<sub>`. */
function fixedPath(key: string, sub: string) {
  return (v: string, given: Readonly<Record<string, string>>): string | undefined => {
    const root = given.storePathRootDir ?? String(BROKER_OPTION_SPEC.storePathRootDir.default);
    if (path.resolve(v.trim()) === path.resolve(root, sub)) return undefined;
    return `${key} must be <storePathRootDir>/${sub} (${path.join(root, sub)}) here; got ${v}`;
  };
}

/** key → check returning why the value cannot be honoured (undefined: the value is harmless and ignored). */
export const BROKER_REFUSED_KEYS: Readonly<Record<string, (value: string, given: Readonly<Record<string, string>>) => string | undefined>> = Object.freeze({
  enableDLegerCommitLog: (v) => (truthy(v) ? 'DLedger (Raft) commit logs are not implemented; use master/slave with brokerRole' : undefined),
  dLegerGroup: (v) => (v.trim() !== '' ? 'DLedger (Raft) commit logs are not implemented' : undefined),
  dLegerPeers: (v) => (v.trim() !== '' ? 'DLedger (Raft) commit logs are not implemented' : undefined),
  dLegerSelfId: (v) => (v.trim() !== '' ? 'DLedger (Raft) commit logs are not implemented' : undefined),
  enableControllerMode: (v) => (truthy(v) ? 'controller-mode automatic failover is not implemented' : undefined),
  enableSlaveActingMaster: (v) => (truthy(v) ? 'slave-acting-master is not implemented' : undefined),
  enableLmq: (v) => (truthy(v) ? 'light message queues are not implemented' : undefined),
  enableMultiDispatch: (v) => (truthy(v) ? 'multi-dispatch is not implemented' : undefined),
  duplicationEnable: (v) => (truthy(v) ? 'duplication mode (recovering from a copied commit log) is not implemented' : undefined),
  timerWheelEnable: (v) => (truthy(v) ? 'timer-wheel (arbitrary delay) messages are not implemented; use delay levels' : undefined),
  storePathCommitLog: fixedPath('storePathCommitLog', 'commitlog'),
  storePathConsumeQueue: fixedPath('storePathConsumeQueue', 'consumequeue'),
  storePathIndex: fixedPath('storePathIndex', 'index'),
  storeCheckpoint: fixedPath('storeCheckpoint', 'checkpoint'),
  abortFile: fixedPath('abortFile', 'abort'),
  mapedFileSizeCommitLog: () => 'this is the pre-4.3 spelling: use mappedFileSizeCommitLog',
  mapedFileSizeConsumeQueue: () => 'this is the pre-4.3 spelling: use mappedFileSizeConsumeQueue',
});
