/**
 * A synthetic point's sending side: a pre-encoded clip's Opus and VP8, looped in real
 * time by ffmpeg (`-c copy`) into two PlainTransports as the peer's mic and camera.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { types } from 'mediasoup';
import type { PointKind } from '../src/auth/roles.js';
import type { Peer, PeerChannel } from '../src/sfu/Peer.js';
import type { JoinResult, Room } from '../src/sfu/Room.js';
import { pointPeer } from '../test/helpers/session.js';
import { rtpSenderArgs } from '../recorder/ffmpegArgs.js';

export async function publishClip(
  room: Room,
  peer: Peer,
  clip: string,
  ffmpeg: string,
): Promise<ChildProcess> {
  const audioSsrc = 10_000_000 + Math.floor(Math.random() * 1e6);
  const videoSsrc = 20_000_000 + Math.floor(Math.random() * 1e6);
  // ffmpeg sends RTCP from its own port: the transports it feeds keep RTCP apart.
  const audioIn = await room.media.createPlainTransport(peer, 'send', { rtcpMux: false });
  const videoIn = await room.media.createPlainTransport(peer, 'send', { rtcpMux: false });
  await room.produce(peer, {
    transportId: audioIn.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'audio/opus',
          payloadType: 100,
          clockRate: 48000,
          channels: 2,
          parameters: { 'sprop-stereo': 1 },
        },
      ],
      encodings: [{ ssrc: audioSsrc }],
    },
  });
  await room.produce(peer, {
    transportId: videoIn.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc: videoSsrc }],
    },
  });
  return spawn(
    ffmpeg,
    rtpSenderArgs({
      input: clip,
      audio: {
        payloadType: 100,
        ssrc: audioSsrc,
        port: audioIn.tuple.localPort,
        rtcpPort: audioIn.rtcpTuple?.localPort ?? 0,
      },
      video: {
        payloadType: 101,
        ssrc: videoSsrc,
        port: videoIn.tuple.localPort,
        rtcpPort: videoIn.rtcpTuple?.localPort ?? 0,
      },
    }),
    { stdio: 'ignore' },
  );
}

/** A point joined in-process (no browser, no signaling), as a token would admit it. */
export async function joinSyntheticPoint(
  room: Room,
  pointId: string,
  options: {
    channel?: PeerChannel;
    kind?: PointKind;
    name?: string;
    /** What it can receive; the router's own by default. */
    rtpCapabilities?: types.RtpCapabilities;
  } = {},
): Promise<{ peer: Peer; joined: JoinResult }> {
  const peer = pointPeer(room.session.id, pointId, options.kind ?? 'delegate', {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.channel ? { channel: options.channel } : {}),
  });
  const joined = await room.join(peer, options.rtpCapabilities ?? (await room.rtpCapabilities()));
  return { peer, joined };
}

/**
 * A synthetic point that receives like a browser: every point's media, and whoever
 * publishes later, on a PlainTransport into `sinkPort`, each consumer resumed as a page
 * resumes it. `onNotify` hears the rest of what the server tells it.
 */
export async function joinSyntheticReceiver(
  room: Room,
  pointId: string,
  sinkPort: number,
  options: {
    kind?: PointKind;
    rtpCapabilities?: types.RtpCapabilities;
    onNotify?: (method: string, data: unknown) => void;
  } = {},
): Promise<Peer> {
  const pending: string[] = [];
  let recv: types.PlainTransport | null = null;
  const consume = async (producerId: string): Promise<void> => {
    if (!recv) {
      pending.push(producerId);
      return;
    }
    const consumer = await room.media.consume(peer, recv.id, producerId).catch(() => null);
    if (consumer) {
      await room.media.resumeConsumer(peer, consumer.id).catch(() => undefined);
    }
  };
  const channel: PeerChannel = {
    notify: (method, data) => {
      if (method === 'newProducer') {
        void consume((data as { producerId: string }).producerId);
      } else {
        options.onNotify?.(method, data);
      }
    },
    close: () => undefined,
  };
  const { peer, joined } = await joinSyntheticPoint(room, pointId, {
    channel,
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.rtpCapabilities ? { rtpCapabilities: options.rtpCapabilities } : {}),
  });
  recv = await room.media.createPlainTransport(peer, 'recv');
  await recv.connect({ ip: '127.0.0.1', port: sinkPort });
  for (const p of [...joined.producers.map((x) => x.producerId), ...pending]) {
    await consume(p);
  }
  return peer;
}

/**
 * A receiver that sends no congestion feedback (transport-cc, REMB, abs-send-time): a
 * sink on loopback has no link to estimate, and with those negotiated mediasoup would
 * wait for feedback that never comes and hold it at its starting estimate. Without
 * them, what it gets is what it asked for under the governor's ceiling.
 */
export function withoutFeedback(caps: types.RtpCapabilities): types.RtpCapabilities {
  const congestion = /transport-wide-cc|abs-send-time/;
  return {
    ...caps,
    codecs: (caps.codecs ?? []).map((c) => ({
      ...c,
      rtcpFeedback: (c.rtcpFeedback ?? []).filter(
        (f) => f.type !== 'transport-cc' && f.type !== 'goog-remb',
      ),
    })),
    headerExtensions: (caps.headerExtensions ?? []).filter((h) => !congestion.test(h.uri)),
  };
}
