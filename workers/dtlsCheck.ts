/**
 * A real DTLS handshake against a worker's WebRtcTransport, without a browser: a STUN
 * binding (ICE-lite needs one before it speaks DTLS), then `openssl s_client` as the DTLS
 * client with the SRTP extension, relayed through the socket ICE selected. The offline
 * build once produced a worker that crashed on every browser's first DTLS packet while
 * passing every PlainTransport check; this is the check that would have caught it.
 */
import { spawn } from 'node:child_process';
import { X509Certificate, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import * as mediasoup from 'mediasoup';
import { makeSelfSignedCertificate } from '../common/selfSignedCertificate.js';

export interface DtlsCheckResult {
  iceState: string;
  dtlsState: string;
  workerAlive: boolean;
}

const STUN_MAGIC = 0x2112a442;

export async function dtlsHandshakeCheck(
  workerBin: string,
  timeoutMs = 8000,
): Promise<DtlsCheckResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'diemcau-dtls-'));
  const worker = await mediasoup.createWorker({ workerBin, logLevel: 'none' });
  const toWorker = dgram.createSocket('udp4');
  const toClient = dgram.createSocket('udp4');
  let client: ReturnType<typeof spawn> | null = null;
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    makeSelfSignedCertificate({ keyFile, certFile, commonName: 'diemcau-dtls-check', days: 1 });
    const fingerprint = new X509Certificate(readFileSync(certFile)).fingerprint256;

    const router = await worker.createRouter({
      mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
    });
    const transport = await router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
    });
    await transport.connect({
      dtlsParameters: {
        role: 'client',
        fingerprints: [{ algorithm: 'sha-256', value: fingerprint }],
      },
    });
    const candidate = transport.iceCandidates[0];
    if (!candidate) {
      throw new Error('the transport has no ICE candidate');
    }
    await new Promise<void>((r) => toWorker.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => toClient.bind(0, '127.0.0.1', r));

    const connected = new Promise<void>((resolve) => {
      transport.on('dtlsstatechange', (state) => {
        if (state === 'connected') {
          resolve();
        }
      });
    });
    // Relay: s_client ⇄ toClient | toWorker ⇄ the worker (the tuple ICE selected).
    let clientAddress: { port: number; address: string } | null = null;
    toClient.on('message', (msg, rinfo) => {
      clientAddress = { port: rinfo.port, address: rinfo.address };
      toWorker.send(msg, candidate.port, candidate.address);
    });
    toWorker.on('message', (msg) => {
      const isStun = msg.length >= 20 && msg.readUInt32BE(4) === STUN_MAGIC;
      if (!isStun && clientAddress) {
        toClient.send(msg, clientAddress.port, clientAddress.address);
      }
    });
    toWorker.send(
      stunBindingRequest(
        transport.iceParameters.usernameFragment,
        transport.iceParameters.password,
      ),
      candidate.port,
      candidate.address,
    );
    await waitUntil(
      () => transport.iceState === 'completed' || transport.iceState === 'connected',
      3000,
    );

    client = spawn(
      'openssl',
      [
        's_client',
        '-dtls1_2',
        '-connect',
        `127.0.0.1:${toClient.address().port}`,
        '-cert',
        certFile,
        '-key',
        keyFile,
        '-use_srtp',
        'SRTP_AES128_CM_SHA1_80',
        '-quiet',
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    await Promise.race([connected, new Promise((r) => setTimeout(r, timeoutMs))]);
    return {
      iceState: transport.iceState,
      dtlsState: transport.dtlsState,
      workerAlive: !worker.died,
    };
  } finally {
    client?.kill('SIGKILL');
    toWorker.close();
    toClient.close();
    worker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RFC 5389/8445 Binding request with USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE. */
function stunBindingRequest(remoteUfrag: string, remotePassword: string): Buffer {
  const attr = (type: number, value: Buffer): Buffer => {
    const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
    padded.writeUInt16BE(type, 0);
    padded.writeUInt16BE(value.length, 2);
    value.copy(padded, 4);
    return padded;
  };
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  const body = Buffer.concat([
    attr(0x0006, Buffer.from(`${remoteUfrag}:dcchk`)),
    attr(0x0024, priority),
    attr(0x802a, randomBytes(8)),
    attr(0x0025, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(STUN_MAGIC, 4);
  randomBytes(12).copy(header, 8);
  // MESSAGE-INTEGRITY covers everything before it, with the length counting it in.
  header.writeUInt16BE(body.length + 24, 2);
  const integrity = createHmac('sha1', remotePassword)
    .update(Buffer.concat([header, body]))
    .digest();
  const withIntegrity = Buffer.concat([body, attr(0x0008, integrity)]);
  header.writeUInt16BE(withIntegrity.length + 8, 2);
  const crc = (crc32(Buffer.concat([header, withIntegrity])) ^ 0x5354554e) >>> 0;
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE(crc, 0);
  return Buffer.concat([header, withIntegrity, attr(0x8028, fp)]);
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('ICE did not complete: the worker did not accept the STUN binding');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
