/**
 * Name servers from RocketMQ's HTTP address server (ref §7.4): GET the URL; on HTTP 200 the body is trimmed and
 * cut at the first CR or LF, and the rest is the `;`-separated list. Asked again every `namesrvAddrServerRefreshMs`.
 */
import http from 'http';
import type { Logger } from 'pino';
import { MqError } from '../../common';
import { RefreshingAddressProvider, parseAddressList } from './address-provider';

export interface HttpAddressProviderOptions {
  /** `http://host:port/path`. */
  url: string;
  refreshMs: number;
  timeoutMs: number;
}

/** The largest body we read from an address server; a real answer is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** Extracts the address list from an address-server body (trim, cut at the first line break). */
export function parseAddressServerBody(body: string, source: string): string[] {
  const firstLine = body.trim().split(/\r|\n/)[0] ?? '';
  return parseAddressList(firstLine, source);
}

export class HttpAddressProvider extends RefreshingAddressProvider {
  constructor(
    private readonly opts: HttpAddressProviderOptions,
    logger: Logger,
  ) {
    super(logger, opts.refreshMs);
    if (!/^http:\/\//i.test(opts.url)) {
      throw new MqError('INVALID_OPTION', `client: option namesrvAddrServerUrl=${opts.url} must be an http:// URL`, {
        details: { option: 'namesrvAddrServerUrl' },
      });
    }
  }

  describe(): string {
    return `http:${this.opts.url}`;
  }

  protected lookup(): Promise<string[]> {
    const { url, timeoutMs } = this.opts;
    return new Promise((resolve, reject) => {
      const req = http.get(url, { timeout: timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new MqError('UNAVAILABLE', `address server ${url} answered HTTP ${res.statusCode ?? '?'}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new MqError('PROTOCOL', `address server ${url} sent more than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          try {
            resolve(parseAddressServerBody(Buffer.concat(chunks).toString('utf8'), `address server ${url}`));
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(
          new MqError('TIMEOUT', `address server ${url} did not answer within ${timeoutMs} ms (option namesrvAddrServerTimeoutMs)`),
        ),
      );
      req.on('error', reject);
    });
  }
}
