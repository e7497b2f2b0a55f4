/**
 * Batch validation before anything is sent (issue 9 rule 9), with real `mq namesrv`, `mq broker` and `mq gateway`
 * processes: a batch to two topics whose second message is invalid fails as a whole with INVALID_ARGUMENT naming
 * index 1 (in `index` and in the text), and stores nothing on either topic. The invalid message is one whose
 * properties are over the 32767-byte limit only when counted in bytes as the client encodes them (multi-byte tag
 * characters), which the gateway's check once counted differently from the client's.
 */
import { expect } from 'chai';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import { MAX_MESSAGE_PROPERTIES_BYTES, MAX_PROPERTIES_BYTES } from '../../src/client';
import { stopAll } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect, failure } from './thrift-client';
import type { TestClient } from './thrift-client';

describe('gateway send: a mixed-topic batch is validated completely before anything is sent', function () {
  this.timeout(90000);
  let cluster: TestCluster;
  let gw: MqProcess;
  let c: TestClient;

  before(async () => {
    cluster = await startCluster(['broker-va']);
    gw = await startGateway(cluster.namesrvAddr);
    c = connect(Number(gw.fields.listenPort));
  });

  after(async () => {
    c?.close();
    await gw?.stop();
    await cluster?.stop();
    await stopAll();
  });

  /** Messages stored in every queue of `topic`. */
  async function stored(topic: string, queues: number): Promise<number> {
    let n = 0;
    for (let q = 0; q < queues; q++) n += await cluster.admin.getMaxOffset({ topic, brokerName: 'broker-va', queueId: q });
    return n;
  }

  it('an over-limit message at index 1 fails the call with index 1 and stores nothing on either topic', async () => {
    const a = await cluster.createTopic('VALA', 2);
    const b = await cluster.createTopic('VALB', 2);
    // 255 three-byte characters: 255 characters, 765 bytes. With this property the encoded properties (UNIQ_KEY,
    // TAGS and the separators included) are just over the limit in bytes.
    const tag = '\u20ac'.repeat(255);
    const filler = MAX_PROPERTIES_BYTES - 325 - 3;
    const over = new T.Message({ topic: b, body: Buffer.from('b'), tags: tag, properties: { p: 'v'.repeat(filler) } });
    const e = await failure(c.send([new T.Message({ topic: a, body: Buffer.from('a') }), over, new T.Message({ topic: a, body: Buffer.from('a2') })]));
    expect(e.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(e.index).to.equal(1);
    expect(e.message).to.match(/^message 1: /);
    expect(e.message).to.not.match(/message 0/);
    // Nothing stored, on the valid topic either (give a send that was started time to land).
    await sleep(1500);
    expect(await stored(a, 2)).to.equal(0);
    expect(await stored(b, 2)).to.equal(0);

    // The same batch with a message at exactly the client's limit (what brokers add still fits) is stored whole.
    const atLimit = filler - 487 - (MAX_PROPERTIES_BYTES - MAX_MESSAGE_PROPERTIES_BYTES);
    const fits = new T.Message({ topic: b, body: Buffer.from('b'), tags: tag, properties: { p: 'v'.repeat(atLimit) } });
    const ok = await c.send([new T.Message({ topic: a, body: Buffer.from('a') }), fits]);
    expect(ok.map((r) => r.error ?? null)).to.deep.equal([null, null]);
    expect(await stored(a, 2)).to.equal(1);
    expect(await stored(b, 2)).to.equal(1);
    // One byte more than that is over.
    const justOver = new T.Message({ topic: b, body: Buffer.from('b'), tags: tag, properties: { p: 'v'.repeat(atLimit + 1) } });
    const e2 = await failure(c.send([justOver]));
    expect([e2.code, e2.index]).to.deep.equal([T.ErrorCode.INVALID_ARGUMENT, 0]);
  });
});
