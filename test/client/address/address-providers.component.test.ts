import { expect } from 'chai';
import http from 'http';
import type { AddressInfo } from 'net';
import pino from 'pino';
import { MqError, sleep } from '../../../src/common';
import { DnsAddressProvider } from '../../../src/client/address/dns-address-provider';
import { HttpAddressProvider, parseAddressServerBody } from '../../../src/client/address/http-address-provider';
import { StaticAddressProvider } from '../../../src/client/address/static-address-provider';
import type { NameServerAddressProvider } from '../../../src/client/address/address-provider';
import { startDnsmasq } from './dnsmasq';
import type { Dnsmasq } from './dnsmasq';

const logger = pino({ level: 'silent' });

/** Waits (bounded) until the provider emits `change`; resolves with the new list. */
function nextChange(p: NameServerAddressProvider, timeoutMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      p.off('change', on);
      reject(new Error(`no change event within ${timeoutMs} ms; current ${p.current().join(';')}`));
    }, timeoutMs);
    const on = (addrs: string[]): void => {
      clearTimeout(t);
      p.off('change', on);
      resolve(addrs);
    };
    p.on('change', on);
  });
}

describe('client/address providers', function () {
  this.timeout(20000);

  describe('static list', () => {
    it('parses host:port;host:port, dropping blanks and duplicates', async () => {
      const p = new StaticAddressProvider(' 10.0.0.2:9876;10.0.0.1:9876;;10.0.0.2:9876 ');
      await p.start();
      expect(p.current()).to.deep.equal(['10.0.0.1:9876', '10.0.0.2:9876']);
      p.stop();
    });

    it('rejects an entry that is not host:port, naming the option', () => {
      expect(() => new StaticAddressProvider('10.0.0.1')).to.throw(MqError, /namesrvAddr.*not host:port/);
    });
  });

  describe('HTTP address server (ref §7.4)', () => {
    it('cuts the body at the first line break and splits on ;', () => {
      expect(parseAddressServerBody('  1.1.1.1:9876;2.2.2.2:9876\r\nignored;3.3.3.3:1\n', 'x')).to.deep.equal([
        '1.1.1.1:9876',
        '2.2.2.2:9876',
      ]);
    });

    it('follows the answer of a local address server, keeping the last list when it fails', async () => {
      let body = '127.0.0.1:19876;127.0.0.1:19877\n';
      let status = 200;
      const server = http.createServer((req, res) => {
        expect(req.url).to.equal('/rocketmq/nsaddr');
        res.writeHead(status);
        res.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const p = new HttpAddressProvider(
        { url: `http://127.0.0.1:${port}/rocketmq/nsaddr`, refreshMs: 50, timeoutMs: 1000 },
        logger,
      );
      try {
        await p.start();
        expect(p.current()).to.deep.equal(['127.0.0.1:19876', '127.0.0.1:19877']);
        const changed = nextChange(p);
        body = '127.0.0.1:29876';
        expect(await changed).to.deep.equal(['127.0.0.1:29876']);
        status = 500;
        await sleep(200);
        expect(p.current()).to.deep.equal(['127.0.0.1:29876']);
      } finally {
        p.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  describe('DNS name against a real dnsmasq', () => {
    let dns: Dnsmasq | undefined;
    const providers: NameServerAddressProvider[] = [];

    before(async () => {
      dns = await startDnsmasq(
        ['127.0.0.21 ns.mq.test', '127.0.0.22 ns.mq.test', '127.0.0.31 target.mq.test'],
        ['_rocketmq._tcp.srv.mq.test,target.mq.test,19999'],
        'ns.mq.test',
      );
    });
    after(async () => {
      for (const p of providers) p.stop();
      await dns?.stop();
    });

    function dnsProvider(domain: string, recordType: 'auto' | 'A' | 'SRV'): DnsAddressProvider {
      const p = new DnsAddressProvider(
        { domain, recordType, port: 9876, server: dns!.server, refreshMs: 100, timeoutMs: 1000 },
        logger,
      );
      providers.push(p);
      return p;
    }

    it('turns A records into ip:namesrvDnsPort', async () => {
      const p = dnsProvider('ns.mq.test', 'A');
      await p.start();
      expect(p.current()).to.deep.equal(['127.0.0.21:9876', '127.0.0.22:9876']);
    });

    it('turns SRV records into target:port, resolving the target through the same server', async () => {
      const p = dnsProvider('_rocketmq._tcp.srv.mq.test', 'auto');
      await p.start();
      expect(p.current()).to.deep.equal(['127.0.0.31:19999']);
    });

    it('switches to the new name servers when the answer changes (blue/green)', async () => {
      const p = dnsProvider('ns.mq.test', 'auto');
      await p.start();
      expect(p.current()).to.deep.equal(['127.0.0.21:9876', '127.0.0.22:9876']);
      const changed = nextChange(p);
      await dns!.setHosts(['127.0.0.41 ns.mq.test', '127.0.0.31 target.mq.test']);
      expect(await changed).to.deep.equal(['127.0.0.41:9876']);
      expect(p.current()).to.deep.equal(['127.0.0.41:9876']);
    });
  });
});
