/**
 * The HA handshake used when `clusterSecret` is set (our extension; RocketMQ's HA port has no authentication, so a
 * master and slave must share the setting). Mutual challenge-response with fresh nonces, so nothing captured on the
 * wire can be replayed, and no commit-log byte flows before both sides have proved they know the secret:
 *
 *   master -> slave : "MQHA" version:u8(=1) nonceM:16
 *   slave  -> master: "MQHA" nonceS:16 HMAC-SHA256(secret, "slave" nonceM nonceS):32
 *   master -> slave : HMAC-SHA256(secret, "master" nonceM nonceS):32
 *   then the plain HA protocol (ha-codec.ts) on the same socket.
 *
 * A peer that sends anything else, or nothing within the timeout, is disconnected; the master never counts it as a
 * slave (SYNC_MASTER waits only for authenticated slaves).
 */
import crypto from 'crypto';
import type { Socket } from 'net';
import { MqError } from '../../common';

const MAGIC = Buffer.from('MQHA', 'latin1');
const VERSION = 1;
const NONCE = 16;
const MAC = 32;
export const HA_CHALLENGE_SIZE = MAGIC.length + 1 + NONCE;
export const HA_RESPONSE_SIZE = MAGIC.length + NONCE + MAC;

function mac(secret: string, role: 'slave' | 'master', nonceM: Buffer, nonceS: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update(role).update(nonceM).update(nonceS).digest();
}

/**
 * Reads exactly `n` bytes from a flowing socket (more may arrive: returned as leftover). On success the socket is
 * paused with its 'data' listener removed; the caller pushes the leftover back and resumes.
 */
function readExactly(socket: Socket, n: number, timeoutMs: number, what: string): Promise<{ head: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length < n) return;
      socket.pause();
      cleanup();
      resolve({ head: buf.subarray(0, n), rest: buf.subarray(n) });
    };
    const onClose = (): void => {
      cleanup();
      reject(new MqError('UNAVAILABLE', `HA handshake: connection closed while waiting for the ${what}`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new MqError('UNAVAILABLE', `HA handshake: ${err.message}`, { cause: err }));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new MqError('TIMEOUT', `HA handshake: no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.resume();
  });
}

function finish(socket: Socket, rest: Buffer): void {
  if (rest.length > 0) socket.unshift(rest);
}

/** Master side: challenges a new connection; resolves once the slave proved the secret (socket left paused). */
export async function haHandshakeMaster(socket: Socket, secret: string, timeoutMs: number): Promise<void> {
  const nonceM = crypto.randomBytes(NONCE);
  socket.write(Buffer.concat([MAGIC, Buffer.from([VERSION]), nonceM]));
  const { head, rest } = await readExactly(socket, HA_RESPONSE_SIZE, timeoutMs, 'slave response');
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new MqError('UNAUTHENTICATED', 'HA handshake: the peer did not answer the challenge (is clusterSecret set on the slave?)');
  }
  const nonceS = head.subarray(MAGIC.length, MAGIC.length + NONCE);
  const got = head.subarray(MAGIC.length + NONCE);
  if (!crypto.timingSafeEqual(got, mac(secret, 'slave', nonceM, nonceS))) {
    throw new MqError('UNAUTHENTICATED', 'HA handshake: the slave proof does not match (clusterSecret differs)');
  }
  socket.write(mac(secret, 'master', nonceM, nonceS));
  finish(socket, rest);
}

/** Slave side: answers the master's challenge and checks its proof (socket left paused, leftover pushed back). */
export async function haHandshakeSlave(socket: Socket, secret: string, timeoutMs: number): Promise<void> {
  const challenge = await readExactly(socket, HA_CHALLENGE_SIZE, timeoutMs, 'master challenge');
  const c = challenge.head;
  if (!c.subarray(0, MAGIC.length).equals(MAGIC) || c[MAGIC.length] !== VERSION) {
    throw new MqError('UNAUTHENTICATED', 'HA handshake: the master sent no challenge (is clusterSecret set on the master?)');
  }
  const nonceM = c.subarray(MAGIC.length + 1);
  const nonceS = crypto.randomBytes(NONCE);
  if (challenge.rest.length > 0) throw new MqError('PROTOCOL', 'HA handshake: the master sent data before the handshake ended');
  socket.write(Buffer.concat([MAGIC, nonceS, mac(secret, 'slave', nonceM, nonceS)]));
  const proof = await readExactly(socket, MAC, timeoutMs, 'master proof');
  if (!crypto.timingSafeEqual(proof.head, mac(secret, 'master', nonceM, nonceS))) {
    throw new MqError('UNAUTHENTICATED', 'HA handshake: the master proof does not match (clusterSecret differs)');
  }
  finish(socket, proof.rest);
}
