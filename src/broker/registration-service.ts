/**
 * Registration with the name servers (ref §7.1, BrokerOuterAPI): REGISTER_BROKER to every name server in parallel
 * at start, every `registerNameServerPeriod`, and at once after a topic change; UNREGISTER_BROKER on clean shutdown.
 * The body is RegisterBrokerBody JSON (ref §3.3). Calls that overlap are coalesced: at most one round runs, and one
 * more is queued behind it.
 */
import type pino from 'pino';
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { RemotingClient } from '../remoting';
import { encodeRegisterBrokerRequestHeader, decodeRegisterBrokerResponseHeader } from '../remoting/header/namesrv/register-broker';
import type { RegisterBrokerResponseHeader } from '../remoting/header/namesrv/register-broker';

/** Who this broker is, as REGISTER_BROKER and UNREGISTER_BROKER headers carry it. */
export interface RegistrationIdentity {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  /** `ip:listenPort`. */
  brokerAddr: string;
  /** `ip:haListenPort`. */
  haServerAddr: string;
}

/** Registration rounds with every name server; see the file comment. */
export class RegistrationService {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again: Promise<void> | null = null;
  /** What the name server answered last (a slave learns its master here, ref §8.1). */
  lastResponse: RegisterBrokerResponseHeader = {};
  /** Per name server: when it last accepted a registration (ms), and the last failure seen (health checks). */
  readonly lastSuccessAt = new Map<string, number>();
  readonly lastFailure = new Map<string, string>();

  constructor(
    private readonly client: RemotingClient,
    private readonly namesrvAddrs: string[],
    private readonly identity: RegistrationIdentity,
    private readonly body: () => Buffer,
    private readonly timeoutMs: number,
    private readonly logger: pino.Logger,
  ) {}

  /** The name servers this broker registers with. */
  get nameServers(): readonly string[] {
    return this.namesrvAddrs;
  }

  /** Registers now and then every `periodMs`. */
  async start(periodMs: number): Promise<void> {
    await this.registerAll();
    this.timer = setInterval(() => void this.registerAll(), periodMs);
    this.timer.unref();
  }

  /** One registration round (coalesced); never rejects, failures are logged per name server. */
  registerAll(): Promise<void> {
    if (this.namesrvAddrs.length === 0) return Promise.resolve();
    if (!this.running) {
      this.running = this.round().finally(() => (this.running = null));
      return this.running;
    }
    if (!this.again) {
      const prev = this.running;
      this.again = prev.then(() => {
        this.again = null;
        return this.registerAll();
      });
    }
    return this.again;
  }

  private async round(): Promise<void> {
    const body = this.body();
    await Promise.all(
      this.namesrvAddrs.map(async (addr) => {
        const req = RemotingCommand.createRequest(
          RequestCode.REGISTER_BROKER,
          encodeRegisterBrokerRequestHeader({ ...this.identity, compressed: false, bodyCrc32: 0 }),
          body,
        );
        try {
          const res = await this.client.invokeSync(addr, req, this.timeoutMs);
          if (res.code !== ResponseCode.SUCCESS) {
            this.logger.warn({ namesrv: addr, code: res.code, remark: res.remark }, 'register broker refused');
            this.lastFailure.set(addr, `refused (code ${res.code}): ${res.remark ?? ''}`);
            return;
          }
          this.lastResponse = decodeRegisterBrokerResponseHeader(res.extFields);
          this.lastSuccessAt.set(addr, Date.now());
          this.lastFailure.delete(addr);
        } catch (err) {
          this.logger.warn({ namesrv: addr, err: (err as Error).message }, 'register broker failed');
          this.lastFailure.set(addr, (err as Error).message);
        }
      }),
    );
  }

  /** Stops the timer and unregisters from every name server (best effort, bounded by the call timeout). */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await Promise.all(
      this.namesrvAddrs.map(async (addr) => {
        const req = RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, {
          brokerName: this.identity.brokerName,
          brokerAddr: this.identity.brokerAddr,
          clusterName: this.identity.clusterName,
          brokerId: this.identity.brokerId,
        });
        try {
          await this.client.invokeSync(addr, req, Math.min(this.timeoutMs, 3000));
        } catch (err) {
          this.logger.warn({ namesrv: addr, err: (err as Error).message }, 'unregister broker failed');
        }
      }),
    );
  }
}
