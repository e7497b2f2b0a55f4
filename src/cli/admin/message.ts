/**
 * Message commands: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, queryMsgByOffset, printMsg (a topic over a
 * time range).
 */
import { MqError } from '../../common';
import { PROP, createOffsetMsgId } from '../../common/message';
import type { MessageRecord } from '../../common/message';
import { masterOf, messagesBetween, pullAt, queryById, queryByKey } from '../../client/admin';
import type { FoundMessage } from '../../client/admin';
import type { AdminCommand, Result } from './framework';
import { humanTime, intOpt, localMidnight, parseTime, row } from './framework';

const BODY_LIMIT = 4096;

/** The message as JSON (body as UTF-8 text when it is valid text, else base64). */
function msgJson(r: MessageRecord, brokerName = ''): Record<string, unknown> {
  const text = r.body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(r.body);
  return {
    topic: r.topic,
    brokerName,
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    commitLogOffset: r.physicalOffset,
    msgId: r.properties[PROP.UNIQ_KEY] ?? createOffsetMsgId(r.storeHost, r.physicalOffset),
    offsetMsgId: createOffsetMsgId(r.storeHost, r.physicalOffset),
    tags: r.properties[PROP.TAGS] ?? null,
    keys: r.properties[PROP.KEYS] ?? null,
    reconsumeTimes: r.reconsumeTimes,
    bornTimestamp: r.bornTimestamp,
    storeTimestamp: r.storeTimestamp,
    bornHost: `${r.bornHost.ip}:${r.bornHost.port}`,
    storeHost: `${r.storeHost.ip}:${r.storeHost.port}`,
    sysFlag: r.sysFlag,
    properties: r.properties,
    body: isText ? text : r.body.toString('base64'),
    bodyEncoding: isText ? 'utf8' : 'base64',
  };
}

/** mqadmin's message detail block ("%-20s %s"). */
function detail(r: MessageRecord): string[] {
  const j = msgJson(r);
  const body = String(j.body);
  const kv: Array<[string, unknown]> = [
    ['OffsetID:', j.offsetMsgId],
    ['Topic:', r.topic],
    ['Tags:', `[${j.tags ?? ''}]`],
    ['Keys:', `[${j.keys ?? ''}]`],
    ['Queue ID:', r.queueId],
    ['Queue Offset:', r.queueOffset],
    ['CommitLog Offset:', r.physicalOffset],
    ['Reconsume Times:', r.reconsumeTimes],
    ['Born Timestamp:', humanTime(r.bornTimestamp)],
    ['Store Timestamp:', humanTime(r.storeTimestamp)],
    ['Born Host:', j.bornHost],
    ['Store Host:', j.storeHost],
    ['System Flag:', r.sysFlag],
    ['Properties:', JSON.stringify(r.properties)],
    ['Message Body:', body.length > BODY_LIMIT ? `${body.slice(0, BODY_LIMIT)}... (${r.body.length} bytes)` : body],
  ];
  return kv.map(([k, v]) => `${k.padEnd(20)} ${String(v)}`);
}

function details(found: FoundMessage[], what: string): Result {
  if (found.length === 0) throw new MqError('NOT_FOUND', `no message found for ${what}`);
  const lines: string[] = [];
  for (const [i, f] of found.entries()) {
    if (i > 0) lines.push('');
    lines.push(...detail(f.record));
  }
  return { json: found.map((f) => msgJson(f.record, f.brokerName)), lines };
}

export const queryMsgById: AdminCommand = {
  name: 'queryMsgById',
  summary: 'Shows a message by id: an offset msgId is read from its broker; a client id (UNIQ_KEY) is looked up in -t.',
  usage: '-n <namesrv> -i <msgId> [-t <topic>]',
  flags: [
    { short: 'i', long: 'msgId', arg: 'msgId', desc: 'offset msgId, or the id the producer got (needs -t)', required: true },
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic (for client ids)' },
  ],
  async run(ctx, o) {
    return details(await queryById(ctx.admin(), o.msgId, o.topic), `msgId ${o.msgId}`);
  },
};

export const queryMsgByUniqueKey: AdminCommand = {
  name: 'queryMsgByUniqueKey',
  summary: 'Shows the message(s) with a client id (UNIQ_KEY, the msgId a producer gets) in a topic.',
  usage: '-n <namesrv> -i <uniqueKey> -t <topic>',
  flags: [
    { short: 'i', long: 'msgId', arg: 'uniqueKey', desc: 'the client message id', required: true },
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic', required: true },
  ],
  async run(ctx, o) {
    return details(await queryByKey(ctx.admin(), o.topic, o.msgId, { unique: true }), `unique key ${o.msgId} in ${o.topic}`);
  },
};

export const queryMsgByKey: AdminCommand = {
  name: 'queryMsgByKey',
  summary: 'Lists the messages of a topic with a key (KEYS property), from the brokers\' index.',
  usage: '-n <namesrv> -t <topic> -k <key> [-b <begin>] [-e <end>]',
  flags: [
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic', required: true },
    { short: 'k', long: 'msgKey', arg: 'key', desc: 'message key', required: true },
    { short: 'b', long: 'beginTimestamp', arg: 'time', desc: 'from (default 0)' },
    { short: 'e', long: 'endTimestamp', arg: 'time', desc: 'until (default: no limit)' },
  ],
  async run(ctx, o) {
    const now = ctx.now();
    const begin = o.beginTimestamp !== undefined ? parseTime(o.beginTimestamp, '-b', now) : 0;
    const end = o.endTimestamp !== undefined ? parseTime(o.endTimestamp, '-e', now) : Number.MAX_SAFE_INTEGER;
    const found = await queryByKey(ctx.admin(), o.topic, o.msgKey, { begin, end });
    const w = [50, 4];
    return {
      json: found.map((f) => msgJson(f.record, f.brokerName)),
      lines: [
        row(w, ['#Message ID', '#QID', '#Offset']),
        ...found.map((f) => row(w, [String(msgJson(f.record).msgId), f.record.queueId, f.record.queueOffset])),
      ],
    };
  },
};

export const queryMsgByOffset: AdminCommand = {
  name: 'queryMsgByOffset',
  summary: 'Shows the message at a queue offset (topic, broker set, queue id, offset).',
  usage: '-n <namesrv> -t <topic> -b <brokerName> -i <queueId> -o <offset>',
  flags: [
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic', required: true },
    { short: 'b', long: 'brokerName', arg: 'brokerName', desc: 'broker set', required: true },
    { short: 'i', long: 'queueId', arg: 'id', desc: 'queue id', required: true },
    { short: 'o', long: 'offset', arg: 'offset', desc: 'queue offset', required: true },
  ],
  async run(ctx, o) {
    const admin = ctx.admin();
    const addr = await masterOf(admin, o.topic, o.brokerName);
    const offset = intOpt(o, 'offset', 0);
    const r = await pullAt(admin, addr, o.topic, intOpt(o, 'queueId', 0, 0, 1023), offset, 1);
    const rec = r.records.find((x) => x.queueOffset === offset);
    return details(rec ? [{ record: rec, brokerName: o.brokerName }] : [], `${o.topic} ${o.brokerName} queue ${o.queueId} offset ${o.offset}`);
  },
};

export const printMsg: AdminCommand = {
  name: 'printMsg',
  summary: 'Prints the messages of a topic stored in a time range (default: local midnight to now), queue by queue.',
  usage: '-n <namesrv> -t <topic> [-b <begin>] [-e <end>] [-s <tag||tag>] [-d true] [-l 1000]',
  flags: [
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic', required: true },
    { short: 'b', long: 'beginTimestamp', arg: 'time', desc: 'from (default local midnight)' },
    { short: 'e', long: 'endTimestamp', arg: 'time', desc: 'until, exclusive (default now)' },
    { short: 's', long: 'subExpression', arg: 'tags', desc: 'only these tags (tag1||tag2; default *)' },
    { short: 'd', long: 'printBody', arg: 'bool', desc: 'print bodies (default true)' },
    { short: 'l', long: 'limit', arg: 'n', desc: 'at most this many messages (default 1000)' },
  ],
  async run(ctx, o) {
    const now = ctx.now();
    const begin = o.beginTimestamp !== undefined ? parseTime(o.beginTimestamp, '-b', now) : localMidnight(now);
    const end = o.endTimestamp !== undefined ? parseTime(o.endTimestamp, '-e', now) : now;
    const tags = o.subExpression && o.subExpression !== '*' ? new Set(o.subExpression.split('||').map((s) => s.trim())) : undefined;
    const found = await messagesBetween(ctx.admin(), o.topic, begin, end, intOpt(o, 'limit', 1000, 1, 1_000_000), (done, n) => {
      if (n > 8) ctx.progress(`printMsg: ${done}/${n} queues`);
    });
    const shown = found.filter((f) => !tags || tags.has(f.record.properties[PROP.TAGS] ?? ''));
    const printBody = o.printBody !== 'false';
    return {
      json: shown.map((f) => msgJson(f.record, f.brokerName)),
      lines: shown.map((f) => {
        const j = msgJson(f.record, f.brokerName);
        return `MSGID: ${String(j.msgId)} ${f.brokerName} queue ${f.record.queueId} offset ${f.record.queueOffset} ${humanTime(f.record.storeTimestamp)}${printBody ? ` BODY: ${String(j.body)}` : ''}`;
      }),
    };
  },
};
