/**
 * Checks that a mediasoup-worker binary really works, not just starts: routers,
 * WebRTC and plain transports, produce/consume, and RTP through an SRTP link between two
 * PlainTransports for each crypto suite. The offline build swaps mediasoup's libsrtp 3
 * fork for Debian's libsrtp 2 behind a shim, so the SRTP round trip is what proves the
 * shim keeps packets intact, and the wrong-key case proves it really authenticates; a
 * DTLS handshake proves the worker survives what every browser does first.
 * Run after every build before the binary is cached, and by the test suite.
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { dtlsHandshakeCheck } from './dtlsCheck.js';

export const SRTP_SUITES: readonly types.SrtpCryptoSuite[] = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
];

const OPUS = {
  kind: 'audio',
  mimeType: 'audio/opus',
  clockRate: 48000,
  channels: 2,
} as const satisfies types.RouterRtpCodecCapability;
const VP8 = {
  kind: 'video',
  mimeType: 'video/VP8',
  clockRate: 90000,
} as const satisfies types.RouterRtpCodecCapability;
const LOOPBACK: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

export interface SmokeReport {
  routerCodecs: string[];
  webRtcCandidates: string[];
  consumerKind: string;
  transportCount: number;
  closedWithRouter: boolean;
}

export async function smokeCheck(workerBin: string): Promise<SmokeReport> {
  const worker = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
  try {
    const router = await worker.createRouter({ mediaCodecs: [OPUS, VP8] });
    const webRtc = await router.createWebRtcTransport({
      listenInfos: [LOOPBACK, { protocol: 'tcp', ip: '127.0.0.1' }],
    });
    const plain = await router.createPlainTransport({ listenInfo: LOOPBACK, comedia: true });
    const producer = await plain.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: 1111 }],
      },
    });
    const consumer = await webRtc.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    const dump = await router.dump();
    router.close();
    return {
      routerCodecs: router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [],
      webRtcCandidates: webRtc.iceCandidates.map((c) => `${c.protocol}:${c.address}:${c.port}`),
      consumerKind: consumer.kind,
      transportCount: dump.transportIds.length,
      closedWithRouter: webRtc.closed && plain.closed && consumer.closed,
    };
  } finally {
    worker.close();
  }
}

export interface SrtpRoundTrip {
  suite: types.SrtpCryptoSuite;
  sent: number;
  delivered: number;
}

/**
 * RTP → PlainTransport(in) → consumer on SRTP PlainTransport A ══SRTP══▶ SRTP
 * PlainTransport B → producer → consumer on PlainTransport(out) → a UDP socket.
 * With `wrongKey`, B decrypts with its own key instead of A's: nothing may arrive.
 */
export async function srtpRoundTrip(
  workerBin: string,
  suite: types.SrtpCryptoSuite,
  options: { wrongKey?: boolean; packets?: number } = {},
): Promise<SrtpRoundTrip> {
  const packets = options.packets ?? 50;
  const worker = await mediasoup.createWorker({ workerBin, logLevel: 'none' });
  const sock = dgram.createSocket('udp4');
  try {
    const router = await worker.createRouter({ mediaCodecs: [OPUS] });
    const tIn = await router.createPlainTransport({ listenInfo: LOOPBACK, comedia: true });
    const srtp = { listenInfo: LOOPBACK, enableSrtp: true, srtpCryptoSuite: suite };
    const tA = await router.createPlainTransport(srtp);
    const tB = await router.createPlainTransport(srtp);
    const tOut = await router.createPlainTransport({ listenInfo: LOOPBACK });
    const keyOf = (t: types.PlainTransport): types.SrtpParameters => {
      if (!t.srtpParameters) {
        throw new Error(`no SRTP parameters for ${suite}`);
      }
      return t.srtpParameters;
    };
    await tA.connect({ ip: '127.0.0.1', port: tB.tuple.localPort, srtpParameters: keyOf(tB) });
    await tB.connect({
      ip: '127.0.0.1',
      port: tA.tuple.localPort,
      srtpParameters: options.wrongKey ? keyOf(tB) : keyOf(tA),
    });
    const pIn = await tIn.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: 1111 }],
      },
    });
    const cA = await tA.consume({ producerId: pIn.id, rtpCapabilities: router.rtpCapabilities });
    const pB = await tB.produce({ kind: 'audio', rtpParameters: cA.rtpParameters });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    await tOut.connect({ ip: '127.0.0.1', port: sock.address().port });
    await tOut.consume({ producerId: pB.id, rtpCapabilities: router.rtpCapabilities });

    const received = new Set<string>();
    sock.on('message', (msg) => {
      const payloadType = (msg[1] ?? 0) & 0x7f;
      if (payloadType >= 64 && payloadType <= 95) {
        return; // RTCP
      }
      received.add(rtpPayload(msg).toString('hex'));
    });
    const sent: string[] = [];
    for (let i = 0; i < packets; i++) {
      const payload = Buffer.from(`payload-${suite}-${i}-${'x'.repeat(i)}`);
      sent.push(payload.toString('hex'));
      sock.send(rtpPacket(1000 + i, payload), tIn.tuple.localPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 500));
    return { suite, sent: packets, delivered: sent.filter((p) => received.has(p)).length };
  } finally {
    sock.close();
    worker.close();
  }
}

/** Every check the build runs before caching a binary; throws naming the first failure. */
export async function runWorkerChecks(
  workerBin: string,
  progress: (line: string) => void,
): Promise<void> {
  const smoke = await smokeCheck(workerBin);
  if (smoke.consumerKind !== 'audio' || smoke.transportCount !== 2 || !smoke.closedWithRouter) {
    throw new Error(`smoke check failed: ${JSON.stringify(smoke)}`);
  }
  progress(`smoke: routers, transports, produce/consume ok (${smoke.routerCodecs.join(', ')})`);
  const dtls = await dtlsHandshakeCheck(workerBin);
  if (dtls.dtlsState !== 'connected' || !dtls.workerAlive) {
    throw new Error(
      `DTLS handshake failed: ICE ${dtls.iceState}, DTLS ${dtls.dtlsState}, worker ${dtls.workerAlive ? 'alive' : 'died'}`,
    );
  }
  progress('dtls: handshake with openssl s_client (DTLS 1.2, use_srtp) ok');
  for (const suite of SRTP_SUITES) {
    const good = await srtpRoundTrip(workerBin, suite);
    if (good.delivered < good.sent - 2) {
      throw new Error(`SRTP ${suite}: only ${good.delivered}/${good.sent} packets arrived intact`);
    }
    const bad = await srtpRoundTrip(workerBin, suite, { wrongKey: true, packets: 20 });
    if (bad.delivered !== 0) {
      throw new Error(`SRTP ${suite}: ${bad.delivered} packets passed with a wrong key`);
    }
    progress(`srtp ${suite}: ${good.delivered}/${good.sent} intact, wrong key 0/${bad.sent}`);
  }
}

function rtpPacket(seq: number, payload: Buffer): Buffer {
  const packet = Buffer.alloc(12 + payload.length);
  packet[0] = 0x80;
  packet[1] = 111;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 960, 4);
  packet.writeUInt32BE(1111, 8);
  payload.copy(packet, 12);
  return packet;
}

function rtpPayload(packet: Buffer): Buffer {
  let offset = 12 + 4 * ((packet[0] ?? 0) & 0x0f);
  if ((packet[0] ?? 0) & 0x10) {
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  return packet.subarray(offset);
}
