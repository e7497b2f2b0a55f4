/**
 * RocketMQ 4.x name-server keys (NamesrvConfig, NettyServerConfig) this name server accepts without effect, so that
 * an existing `namesrv.conf` starts as it is (one warning lists the keys given). Documented in README.
 */
const NETTY = 'Netty tuning of the Java remoting layer; Node sockets are used as they are';

export const NAMESRV_IGNORED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  rocketmqHome: 'no installation directory is read',
  configStorePath: 'the configuration is not written back',
  productEnvName: 'no product environment',
  clusterTest: 'no cluster-test mode',
  serverWorkerThreads: NETTY,
  serverCallbackExecutorThreads: NETTY,
  serverSelectorThreads: NETTY,
  serverOnewaySemaphoreValue: NETTY,
  serverAsyncSemaphoreValue: NETTY,
  serverSocketSndBufSize: NETTY,
  serverSocketRcvBufSize: NETTY,
  serverPooledByteBufAllocatorEnable: NETTY,
  useEpollNativeSelector: NETTY,
  useTLS: 'TLS on cluster ports is not implemented: keep them on a private network (see README Security)',
});
