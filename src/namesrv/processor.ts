/**
 * The name server's request processors (ref §2.3.1, Java DefaultRequestProcessor). Codes the name server does not
 * know get REQUEST_CODE_NOT_SUPPORTED from the RemotingServer (Java returns nothing; the issue asks for an answer).
 */
import type pino from 'pino';
import { MqError } from '../common';
import { parseFastJson, toJson } from '../common/fastjson';
import {
  RemotingCommand,
  RequestCode,
  ResponseCode,
  bodyCrc32,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeGetRouteInfoRequestHeader,
  decodeGetTopicsByClusterRequestHeader,
  decodeKVConfigKeyRequestHeader,
  decodePutKVConfigRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeRegisterBrokerBody,
  decodeRegisterBrokerRequestHeader,
  decodeUnregisterBrokerRequestHeader,
  decodeWritePermRequestHeader,
  extString,
  readDataVersion,
} from '../remoting';
import type { Channel, RemotingServer } from '../remoting';
import type { KVConfigManager } from './kv-config-manager';
import type { RouteInfoManager } from './route-info-manager';

/** KV namespace whose table goes back to registering brokers and fills orderTopicConf (ref §2.3.1). */
export const ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

/** The TOPIC_NOT_EXIST remark (ref §2.3.1), with Java's FAQ pointer. */
export function topicNotExistRemark(topic: string): string {
  return `No topic route info in name server for the topic: ${topic}\nSee http://rocketmq.apache.org/docs/faq/ for further details.`;
}

/** What the processors work on. */
export interface NamesrvProcessorDeps {
  routes: RouteInfoManager;
  kv: KVConfigManager;
  /** Current time in ms. */
  clock: () => number;
  logger: pino.Logger;
  orderMessageEnable: boolean;
  /** Called after every KV change (the controller persists kvConfigPath). */
  onKvChanged?: () => void;
  /** A broker silent for longer than this (ms) no longer holds its brokerName/brokerId against a newcomer. */
  brokerChannelExpiredTime?: number;
}

/** A SUCCESS response with optional ext fields and body. */
function ok(extFields?: Record<string, string | number | boolean | undefined>, body?: Buffer): RemotingCommand {
  return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, extFields, body);
}

/** A body in standard JSON (quoted keys). */
function json(value: unknown): Buffer {
  return Buffer.from(toJson(value), 'utf8');
}

/** Registers every name-server processor on `server`. */
export function registerNamesrvProcessors(server: RemotingServer, deps: NamesrvProcessorDeps): void {
  const { routes, kv, clock, logger } = deps;

  // REGISTER_BROKER 103: header RegisterBrokerRequestHeader, body RegisterBrokerBody (JSON or compressed).
  // Answers the live master's HA and main address to a slave, and the ORDER_TOPIC_CONFIG KV table as body.
  server.registerProcessor(RequestCode.REGISTER_BROKER, (req: RemotingCommand, ch: Channel) => {
    const h = decodeRegisterBrokerRequestHeader(req.extFields);
    if (h.bodyCrc32 !== 0 && req.body && bodyCrc32(req.body) !== h.bodyCrc32) {
      logger.warn({ broker: h.brokerAddr, expected: h.bodyCrc32 }, 'register body crc32 mismatch');
      return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, 'crc32 not match');
    }
    // Senders older than V3_0_11 send a bare TopicConfigSerializeWrapper; the decoder accepts both (ref §1.8).
    const body = decodeRegisterBrokerBody(req.body, h.compressed);
    const wrapper = body.topicConfigSerializeWrapper;
    const result = routes.registerBroker(
      {
        clusterName: h.clusterName,
        brokerAddr: h.brokerAddr,
        brokerName: h.brokerName,
        brokerId: h.brokerId,
        haServerAddr: h.haServerAddr,
        topicConfigTable: req.body && req.body.length > 0 ? wrapper.topicConfigTable : undefined,
        dataVersion: wrapper.dataVersion,
        filterServerList: body.filterServerList,
        channel: ch,
      },
      clock(),
      deps.brokerChannelExpiredTime,
    );
    if (result.refusedLiveAddr !== undefined) {
      logger.warn(
        { brokerName: h.brokerName, brokerId: h.brokerId, liveAddr: result.refusedLiveAddr, refusedAddr: h.brokerAddr, peer: ch.remoteAddress },
        'registration refused: another address is live for this brokerName/brokerId',
      );
      return RemotingCommand.createResponse(
        ResponseCode.NO_PERMISSION,
        `brokerName ${h.brokerName} brokerId ${h.brokerId} is registered from live address ${result.refusedLiveAddr}; ` +
          `${h.brokerAddr} is refused until that one unregisters or expires (brokerChannelExpiredTime)`,
      );
    }
    if (result.newBroker) {
      logger.info(
        { brokerName: h.brokerName, brokerAddr: h.brokerAddr, brokerId: h.brokerId, cluster: h.clusterName },
        'new broker registered',
      );
    }
    const order = kv.getNamespace(ORDER_TOPIC_CONFIG);
    return ok({ haServerAddr: result.haServerAddr, masterAddr: result.masterAddr }, order ? json({ table: order }) : undefined);
  });

  // UNREGISTER_BROKER 104: sent by a broker at shutdown; same removal as an expiry, for one address and id.
  server.registerProcessor(RequestCode.UNREGISTER_BROKER, (req) => {
    const h = decodeUnregisterBrokerRequestHeader(req.extFields);
    routes.unregisterBroker(h.clusterName, h.brokerAddr, h.brokerName, h.brokerId);
    logger.info({ brokerName: h.brokerName, brokerAddr: h.brokerAddr, brokerId: h.brokerId }, 'broker unregistered');
    return ok();
  });

  // GET_ROUTEINFO_BY_TOPIC 105: TopicRouteData, or TOPIC_NOT_EXIST 17 with Java's remark.
  server.registerProcessor(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => {
    const h = decodeGetRouteInfoRequestHeader(req.extFields);
    const route = routes.pickupTopicRouteData(h.topic);
    if (!route) return RemotingCommand.createResponse(ResponseCode.TOPIC_NOT_EXIST, topicNotExistRemark(h.topic));
    if (deps.orderMessageEnable) {
      const conf = kv.get(ORDER_TOPIC_CONFIG, h.topic);
      if (conf !== undefined) route.orderTopicConf = conf;
    }
    // Quoted keys whatever the requester's version: ali-ons and 4.9.4+ Java clients both read them (ref §3.1).
    return ok(undefined, json(route));
  });

  // GET_BROKER_CLUSTER_INFO 106: ClusterInfo (ref §3.4), quoted keys like every body we write.
  server.registerProcessor(RequestCode.GET_BROKER_CLUSTER_INFO, () => ok(undefined, json(routes.getAllClusterInfo())));

  // WIPE_WRITE_PERM_OF_BROKER 205: clears the write bit of every queue of the broker name (planned maintenance).
  server.registerProcessor(RequestCode.WIPE_WRITE_PERM_OF_BROKER, (req) => {
    const h = decodeWritePermRequestHeader(req.extFields);
    const n = routes.operateWritePermOfBroker(h.brokerName, 'wipe');
    logger.info({ brokerName: h.brokerName, topics: n }, 'write permission wiped');
    return ok({ wipeTopicCount: n });
  });

  // ADD_WRITE_PERM_OF_BROKER 327: sets the queues of the broker name back to read+write.
  server.registerProcessor(RequestCode.ADD_WRITE_PERM_OF_BROKER, (req) => {
    const h = decodeWritePermRequestHeader(req.extFields);
    const n = routes.operateWritePermOfBroker(h.brokerName, 'add');
    logger.info({ brokerName: h.brokerName, topics: n }, 'write permission added');
    return ok({ addTopicCount: n });
  });

  // GET_ALL_TOPIC_LIST_FROM_NAMESERVER 206: TopicList of every routed topic.
  server.registerProcessor(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, () =>
    ok(undefined, json({ topicList: routes.getAllTopicList() })),
  );

  // DELETE_TOPIC_IN_NAMESRV 216: the whole topic, or only the brokers of clusterName when given.
  server.registerProcessor(RequestCode.DELETE_TOPIC_IN_NAMESRV, (req) => {
    const h = decodeDeleteTopicFromNamesrvRequestHeader(req.extFields);
    routes.deleteTopic(h.topic, h.clusterName);
    return ok();
  });

  // GET_TOPICS_BY_CLUSTER 224: TopicList of topics served by any broker name of the cluster.
  server.registerProcessor(RequestCode.GET_TOPICS_BY_CLUSTER, (req) => {
    const h = decodeGetTopicsByClusterRequestHeader(req.extFields);
    return ok(undefined, json({ topicList: routes.getTopicsByCluster(h.cluster) }));
  });

  // QUERY_DATA_VERSION 322: `changed` tells a broker (forceRegister=false) whether to register again; an
  // unchanged version counts as a sign of life (ref §7.1).
  server.registerProcessor(RequestCode.QUERY_DATA_VERSION, (req) => {
    const h = decodeQueryDataVersionRequestHeader(req.extFields);
    let parsed: unknown = {};
    if (req.body && req.body.length > 0) {
      try {
        parsed = parseFastJson(req.body.toString('utf8'));
      } catch (err) {
        throw new MqError('INVALID_ARGUMENT', `DataVersion body is not JSON: ${(err as Error).message}`);
      }
    }
    const version = readDataVersion(parsed);
    const changed = routes.isBrokerTopicConfigChanged(h.brokerAddr, version);
    if (!changed) routes.updateBrokerInfoUpdateTimestamp(h.brokerAddr, clock());
    const stored = routes.queryBrokerTopicConfig(h.brokerAddr);
    return ok({ changed }, stored ? json(stored) : undefined);
  });

  // PUT/GET/DELETE_KV_CONFIG 100-102 and GET_KVLIST_BY_NAMESPACE 219: the in-memory KV store.
  server.registerProcessor(RequestCode.PUT_KV_CONFIG, (req) => {
    const h = decodePutKVConfigRequestHeader(req.extFields);
    kv.put(h.namespace, h.key, h.value);
    deps.onKvChanged?.();
    return ok();
  });

  server.registerProcessor(RequestCode.GET_KV_CONFIG, (req) => {
    const h = decodeKVConfigKeyRequestHeader(req.extFields);
    const value = kv.get(h.namespace, h.key);
    if (value === undefined) {
      return RemotingCommand.createResponse(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${h.namespace} Key: ${h.key}`);
    }
    return ok({ value });
  });

  server.registerProcessor(RequestCode.DELETE_KV_CONFIG, (req) => {
    const h = decodeKVConfigKeyRequestHeader(req.extFields);
    kv.delete(h.namespace, h.key);
    deps.onKvChanged?.();
    return ok();
  });

  server.registerProcessor(RequestCode.GET_KVLIST_BY_NAMESPACE, (req) => {
    const namespace = extString(req.extFields, 'namespace');
    const table = kv.getNamespace(namespace);
    if (!table) return RemotingCommand.createResponse(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
    return ok(undefined, json({ table }));
  });
}
