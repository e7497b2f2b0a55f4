/** Picks the name-server address source from the client options (first set wins: list, DNS name, address server). */
import type { Logger } from 'pino';
import { MqError } from '../../common';
import type { ClientOptions } from '../options';
import type { NameServerAddressProvider } from './address-provider';
import { DnsAddressProvider } from './dns-address-provider';
import { HttpAddressProvider } from './http-address-provider';
import { StaticAddressProvider } from './static-address-provider';

export function createAddressProvider(options: ClientOptions, logger: Logger): NameServerAddressProvider {
  if (options.namesrvAddr !== '') return new StaticAddressProvider(options.namesrvAddr);
  if (options.namesrvDomain !== '') {
    return new DnsAddressProvider(
      {
        domain: options.namesrvDomain,
        recordType: options.namesrvDnsRecordType as 'auto' | 'A' | 'SRV',
        port: options.namesrvDnsPort,
        server: options.namesrvDnsServer,
        refreshMs: options.namesrvDnsRefreshMs,
        timeoutMs: options.mqClientApiTimeout,
      },
      logger.child({ provider: 'dns' }),
    );
  }
  if (options.namesrvAddrServerUrl !== '') {
    return new HttpAddressProvider(
      {
        url: options.namesrvAddrServerUrl,
        refreshMs: options.namesrvAddrServerRefreshMs,
        timeoutMs: options.namesrvAddrServerTimeoutMs,
      },
      logger.child({ provider: 'http' }),
    );
  }
  throw new MqError(
    'INVALID_OPTION',
    'client: no name-server source; set namesrvAddr, namesrvDomain or namesrvAddrServerUrl',
    { details: { option: 'namesrvAddr' } },
  );
}
