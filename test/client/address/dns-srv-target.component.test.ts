/**
 * SRV targets whose A lookup fails. A DNS server restarting (e.g. dnsmasq reloaded for a blue/green flip) can answer
 * the SRV query and then refuse or fail the target's A query a moment later. The provider must then keep its list
 * (a failed refresh), not publish the bare target name: a gateway took such a name for another cluster and opened
 * a generation it could never reach or drain. A target the server answers "no such name" for still falls back to
 * the bare name (the system resolver may know it).
 *
 * The DNS server here is a small UDP responder in the test (SRV + A answers, SERVFAIL or NXDOMAIN on demand).
 */
import { expect } from 'chai';
import dgram from 'dgram';
import pino from 'pino';
import { sleep } from '../../../src/common';
import { DnsAddressProvider } from '../../../src/client/address/dns-address-provider';

const logger = pino({ level: 'silent' });
const SRV_NAME = '_mq._tcp.bg.test';
const TARGET = 'ns1.bg.test';

type Mode = 'ok' | 'servfail' | 'nxdomain';

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

/** Reads the question of a query: name, type and where the question ends. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } {
  let i = 12;
  const labels: string[] = [];
  while (msg[i] !== 0) {
    const len = msg[i];
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  i += 1;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i), end: i + 4 };
}

function answer(msg: Buffer, targetMode: Mode): Buffer {
  const q = readQuestion(msg);
  const question = msg.subarray(12, q.end);
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  const rr = (type: number, rdata: Buffer): Buffer => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(0xc00c, 0); // the question's name
    b.writeUInt16BE(type, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt32BE(5, 6);
    b.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([b, rdata]);
  };
  let rcode = 0;
  const answers: Buffer[] = [];
  if (q.name === SRV_NAME && q.type === 33) {
    const fixed = Buffer.alloc(6);
    fixed.writeUInt16BE(0, 0);
    fixed.writeUInt16BE(10, 2);
    fixed.writeUInt16BE(19999, 4);
    answers.push(rr(33, Buffer.concat([fixed, encodeName(TARGET)])));
  } else if (q.name === TARGET && q.type === 1) {
    if (targetMode === 'servfail') rcode = 2;
    else if (targetMode === 'nxdomain') rcode = 3;
    else answers.push(rr(1, Buffer.from([127, 0, 0, 51])));
  } else {
    rcode = 3;
  }
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

describe('client/address DNS: SRV target lookups that fail', function () {
  this.timeout(20000);
  let sock: dgram.Socket;
  let server = '';
  let mode: Mode = 'ok';
  const providers: DnsAddressProvider[] = [];

  before(async () => {
    sock = dgram.createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      try {
        sock.send(answer(msg, mode), rinfo.port, rinfo.address);
      } catch {
        // a malformed query: no answer
      }
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    server = `127.0.0.1:${sock.address().port}`;
  });
  after(() => {
    for (const p of providers) p.stop();
    sock.close();
  });
  beforeEach(() => {
    mode = 'ok';
  });

  function provider(): DnsAddressProvider {
    const p = new DnsAddressProvider({ domain: SRV_NAME, recordType: 'SRV', port: 9876, server, refreshMs: 50, timeoutMs: 1000 }, logger);
    providers.push(p);
    return p;
  }

  it('keeps the previous list when the target A query fails for a while (server error)', async () => {
    const p = provider();
    await p.start();
    expect(p.current()).to.deep.equal(['127.0.0.51:19999']);
    const seen: string[][] = [];
    p.on('change', (a: string[]) => seen.push(a));
    mode = 'servfail';
    await sleep(600);
    expect(seen, 'no change while the target lookups fail').to.deep.equal([]);
    expect(p.current()).to.deep.equal(['127.0.0.51:19999']);
    mode = 'ok';
    await sleep(300);
    expect(seen).to.deep.equal([]);
    expect(p.current()).to.deep.equal(['127.0.0.51:19999']);
  });

  it('falls back to the bare target name when the server says the name does not exist', async () => {
    mode = 'nxdomain';
    const p = provider();
    await p.start();
    expect(p.current()).to.deep.equal([`${TARGET}:19999`]);
  });
});
