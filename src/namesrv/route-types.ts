/**
 * Route bodies the name server writes (ref §3.2, §3.4, §3.6). Always standard JSON with quoted keys (ref §3.1 "Emit").
 *   TopicRouteData := { "brokerDatas": [BrokerData], "filterServerTable": {}, "queueDatas": [QueueData],
 *                       "orderTopicConf"?: string }
 *   BrokerData     := { "brokerAddrs": { "<brokerId>": "ip:port" }, "brokerName", "cluster" }
 *   QueueData      := { "brokerName", "perm", "readQueueNums", "topicSysFlag", "writeQueueNums" }
 *   ClusterInfo    := { "brokerAddrTable": { <brokerName>: BrokerData }, "clusterAddrTable": { <cluster>: [name] } }
 *   TopicList      := { "topicList": [string] }       KVTable := { "table": { k: v } }
 */

/** PermName bits (ref §3.2), defined once in common. */
export { PERM_INHERIT, PERM_READ, PERM_WRITE } from '../common/topic-config';

/** Broker id of a master (ref §8.1). */
export const MASTER_ID = 0;

export interface QueueData {
  brokerName: string;
  perm: number;
  readQueueNums: number;
  topicSysFlag: number;
  writeQueueNums: number;
}

export interface BrokerData {
  /** brokerId (as a decimal string key) → `ip:port`; "0" is the master. */
  brokerAddrs: Record<string, string>;
  brokerName: string;
  cluster: string;
}

export interface TopicRouteData {
  brokerDatas: BrokerData[];
  filterServerTable: Record<string, string[]>;
  queueDatas: QueueData[];
  orderTopicConf?: string;
}

export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

export interface TopicList {
  topicList: string[];
}
