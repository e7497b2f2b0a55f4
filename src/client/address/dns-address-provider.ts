/**
 * Name servers from a DNS name, re-resolved every `namesrvDnsRefreshMs`.
 *
 * - SRV records give `target:port` (targets that are names are resolved to IPv4 through the same resolver, so a
 *   private DNS server works end to end);
 * - A records give `ip:<namesrvDnsPort>`.
 * `auto` asks for SRV first and falls back to A when the name has no SRV record. A blue/green switch is an answer
 * change: the provider emits `change` and the client moves to the new name servers.
 */
import { promises as dnsPromises } from 'dns';
import { isIP } from 'net';
import type { Logger } from 'pino';
import { MqError } from '../../common';
import { RefreshingAddressProvider } from './address-provider';

export interface DnsAddressProviderOptions {
  /** The DNS name to resolve. */
  domain: string;
  /** Which records to read. */
  recordType: 'auto' | 'A' | 'SRV';
  /** Port appended to A-record addresses. */
  port: number;
  /** DNS server `ip:port` (or `ip`); empty = the system resolvers. */
  server: string;
  /** Re-resolve period, in ms. */
  refreshMs: number;
  /** Per-query timeout, in ms. */
  timeoutMs: number;
}

/** Resolver answers meaning "this name has no A record" (as opposed to a failed query). */
const NO_SUCH_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

export class DnsAddressProvider extends RefreshingAddressProvider {
  private readonly resolver: dnsPromises.Resolver;

  constructor(
    private readonly opts: DnsAddressProviderOptions,
    logger: Logger,
  ) {
    super(logger, opts.refreshMs);
    // One try per lookup; the refresh timer is the retry loop.
    this.resolver = new dnsPromises.Resolver({ timeout: opts.timeoutMs, tries: 1 });
    if (opts.server !== '') {
      try {
        this.resolver.setServers([opts.server]);
      } catch (err) {
        throw new MqError('INVALID_OPTION', `client: option namesrvDnsServer=${opts.server} is not ip or ip:port`, {
          cause: err,
          details: { option: 'namesrvDnsServer' },
        });
      }
    }
  }

  describe(): string {
    return `dns:${this.opts.domain}${this.opts.server ? `@${this.opts.server}` : ''}`;
  }

  protected async lookup(): Promise<string[]> {
    const { recordType } = this.opts;
    if (recordType === 'SRV') return this.lookupSrv();
    if (recordType === 'A') return this.lookupA();
    try {
      const srv = await this.lookupSrv();
      if (srv.length > 0) return srv;
    } catch (err) {
      // No SRV record (or a server that refuses SRV for the name, as dnsmasq does without upstreams): fall back
      // to A records; if those fail too, their error is the one reported.
      this.logger.debug({ err, code: errCode(err), domain: this.opts.domain }, 'no SRV answer; trying A records');
    }
    return this.lookupA();
  }

  private async lookupA(): Promise<string[]> {
    const ips = await this.resolver.resolve4(this.opts.domain);
    return ips.map((ip) => `${ip}:${this.opts.port}`);
  }

  private async lookupSrv(): Promise<string[]> {
    const records = await this.resolver.resolveSrv(this.opts.domain);
    // Lowest priority value first, as SRV consumers must; within a priority the order does not matter to us
    // because the route cache tries every name server in turn.
    records.sort((a, b) => a.priority - b.priority);
    const out: string[] = [];
    for (const r of records) {
      const target = r.name.replace(/\.$/, '');
      if (isIP(target) !== 0) {
        out.push(`${target}:${r.port}`);
        continue;
      }
      try {
        for (const ip of await this.resolver.resolve4(target)) out.push(`${ip}:${r.port}`);
      } catch (err) {
        // A server failure, refusal or timeout (e.g. the DNS server restarting between the SRV and the A query)
        // fails this refresh: the previous list stays. Publishing the bare name instead made gateways see
        // "another cluster" and open a generation they could never reach.
        if (!NO_SUCH_RECORD.has(errCode(err))) throw err;
        // No A record at the configured DNS server: the system resolver at connect time may still know the name.
        this.logger.debug({ err, target }, 'SRV target has no A record at the configured DNS server');
        out.push(`${target}:${r.port}`);
      }
    }
    return out;
  }
}
