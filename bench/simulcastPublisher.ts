/**
 * A synthetic point that publishes as a browser does: a camera in three simulcast
 * layers (three pre-encoded VP8 clips at the SDK's sizes and bitrates, looped in real
 * time by one ffmpeg, `-c copy`) and Opus; a shared screen on demand.
 *
 * ffmpeg's RTP muxer sends each stream from a port of its own, while a comedia
 * PlainTransport takes one sender: a relay socket here forwards the three layers from
 * one port. It also follows the server's dynacast (`publishLayers`): layers above what
 * it was told are dropped, as a browser's encoder stops them, and come back at the
 * clip's next keyframe, as a browser's restart does with one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Peer } from '../src/sfu/Peer.js';
import type { Room } from '../src/sfu/Room.js';
import { makeTestClip } from '../test/helpers/media.js';

export interface SimulcastClips {
  /** Small, medium, large: the camera's layers (the small one carries the sound too). */
  layers: [string, string, string];
  screen: string;
}

/** The SDK's camera encodings (client-sdk/src/capture.ts) and its shared screen. */
export function makeSimulcastClips(dir: string): SimulcastClips {
  const clip = (name: string, size: string, bitrate: string): string => {
    const file = path.join(dir, name);
    if (!existsSync(file)) {
      // A keyframe a second: a layer that starts again is seen within one.
      makeTestClip(file, { size, videoBitrate: bitrate, gop: 25, seconds: 20 });
    }
    return file;
  };
  return {
    layers: [
      clip('small.webm', '320x180', '120k'),
      clip('medium.webm', '640x360', '350k'),
      clip('large.webm', '1280x720', '900k'),
    ],
    screen: clip('screen.webm', '1280x720', '1200k'),
  };
}

const VP8 = { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 };
const OPUS = {
  mimeType: 'audio/opus',
  payloadType: 100,
  clockRate: 48000,
  channels: 2,
  parameters: { 'sprop-stereo': 1 },
};
/** The sound's level in each packet: mediasoup's speaker detection reads nothing else. */
const AUDIO_LEVEL = { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 10 } as const;

/**
 * An RTP packet from ffmpeg (no header extension) with the audio level extension added
 * (RFC 6464): voice, its level rising and falling like syllables (-15 to -55 dBov, three
 * times a second). A steady level would be learnt as background noise by the speaker
 * detection.
 */
function withAudioLevel(packet: Buffer): Buffer {
  const csrcs = (packet[0] ?? 0) & 0x0f;
  const fixed = 12 + csrcs * 4;
  if ((packet[0] ?? 0) & 0x10) {
    return packet;
  }
  const level = Math.round(35 + 20 * Math.sin((2 * Math.PI * 3 * Date.now()) / 1000));
  const extension = Buffer.from([0xbe, 0xde, 0x00, 0x01, AUDIO_LEVEL.id << 4, 0x80 | level, 0, 0]);
  const out = Buffer.concat([packet.subarray(0, fixed), extension, packet.subarray(fixed)]);
  out[0] = (out[0] ?? 0) | 0x10;
  return out;
}

// ffmpeg's RTP muxer takes a signed 32-bit SSRC.
const ssrc = (): number => 10_000_000 + Math.floor(Math.random() * 2e9);

function isRtcp(packet: Buffer): boolean {
  const type = packet[1] ?? 0;
  return type >= 192 && type <= 223;
}

/** One ffmpeg output: a stream of an input, as RTP to 127.0.0.1. */
const rtpOut = (
  map: string,
  payloadType: number,
  ssrcOf: number,
  port: number,
  rtcpPort: number,
) => [
  '-map',
  map,
  '-c',
  'copy',
  '-payload_type',
  String(payloadType),
  '-ssrc',
  String(ssrcOf),
  '-f',
  'rtp',
  `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
];

const loop = (file: string): string[] => ['-re', '-stream_loop', '-1', '-i', file];

export class SimulcastPublisher {
  readonly #room: Room;
  readonly #peer: Peer;
  readonly #ffmpeg: string;
  readonly #clips: SimulcastClips;
  readonly #children: ChildProcess[] = [];
  readonly #sockets: dgram.Socket[] = [];
  #maxSpatialLayer = 2;
  #screen: { producerId: string; child: ChildProcess; socket: dgram.Socket } | null = null;
  cameraProducerId = '';

  private constructor(room: Room, peer: Peer, clips: SimulcastClips, ffmpeg: string) {
    this.#room = room;
    this.#peer = peer;
    this.#clips = clips;
    this.#ffmpeg = ffmpeg;
  }

  static async start(
    room: Room,
    peer: Peer,
    clips: SimulcastClips,
    ffmpeg: string,
  ): Promise<SimulcastPublisher> {
    const p = new SimulcastPublisher(room, peer, clips, ffmpeg);
    await p.#startCamera();
    return p;
  }

  /** Dynacast: the server's `publishLayers` for this point's camera. */
  setMaxSpatialLayer(producerId: string, maxSpatialLayer: number): void {
    if (producerId === this.cameraProducerId) {
      this.#maxSpatialLayer = maxSpatialLayer;
    }
  }

  async shareScreen(): Promise<void> {
    if (this.#screen) {
      return;
    }
    const videoSsrc = ssrc();
    const { transport, socket, port } = await this.#relay((packet) =>
      isRtcp(packet) || packet.readUInt32BE(8) === videoSsrc ? packet : null,
    );
    const { id } = await this.#room.produce(this.#peer, {
      transportId: transport.id,
      kind: 'video',
      source: 'screen',
      rtpParameters: { codecs: [VP8], encodings: [{ ssrc: videoSsrc }] },
    });
    const child = spawn(
      this.#ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        ...loop(this.#clips.screen),
        ...rtpOut('0:v', VP8.payloadType, videoSsrc, port, port),
      ],
      { stdio: process.env['BENCH_FFMPEG_LOG'] ? 'inherit' : 'ignore' },
    );
    this.#screen = { producerId: id, child, socket };
  }

  stopScreen(): void {
    if (!this.#screen) {
      return;
    }
    this.#room.media.closeProducer(this.#peer, this.#screen.producerId);
    this.#screen.child.kill('SIGKILL');
    this.#screen.socket.close();
    this.#screen = null;
  }

  close(): void {
    this.stopScreen();
    for (const child of this.#children) {
      child.kill('SIGKILL');
    }
    for (const socket of this.#sockets) {
      socket.close();
    }
  }

  async #startCamera(): Promise<void> {
    const layers = [ssrc(), ssrc(), ssrc()];
    const audioSsrc = ssrc();
    // A browser's stopped encoding resumes where its sequence numbers left off: the
    // packets dropped here are taken out of the numbering, or the server would count
    // them lost and score the layer down.
    const dropped = [0, 0, 0];
    const { transport, socket, port } = await this.#relay((packet) => {
      if (isRtcp(packet)) {
        return packet;
      }
      const layer = layers.indexOf(packet.readUInt32BE(8));
      if (layer < 0) {
        return null;
      }
      if (layer > this.#maxSpatialLayer) {
        dropped[layer] = (dropped[layer] ?? 0) + 1;
        return null;
      }
      packet.writeUInt16BE((packet.readUInt16BE(2) - (dropped[layer] ?? 0)) & 0xffff, 2);
      return packet;
    });
    const { id } = await this.#room.produce(this.#peer, {
      transportId: transport.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: { codecs: [VP8], encodings: layers.map((s) => ({ ssrc: s })) },
    });
    this.cameraProducerId = id;
    this.#sockets.push(socket);
    const audio = await this.#relay((packet) => (isRtcp(packet) ? packet : withAudioLevel(packet)));
    this.#sockets.push(audio.socket);
    await this.#room.produce(this.#peer, {
      transportId: audio.transport.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: {
        codecs: [OPUS],
        encodings: [{ ssrc: audioSsrc }],
        headerExtensions: [AUDIO_LEVEL],
      },
    });
    const [small, medium, large] = this.#clips.layers;
    this.#children.push(
      spawn(
        this.#ffmpeg,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          ...loop(small),
          ...loop(medium),
          ...loop(large),
          ...rtpOut('0:a', OPUS.payloadType, audioSsrc, audio.port, audio.port),
          ...[0, 1, 2].flatMap((i) =>
            rtpOut(`${i}:v`, VP8.payloadType, layers[i] as number, port, port),
          ),
        ],
        { stdio: process.env['BENCH_FFMPEG_LOG'] ? 'inherit' : 'ignore' },
      ),
    );
  }

  /**
   * A send transport fed through a relay socket: what ffmpeg sends it, passed by
   * `forward`, goes on from the relay's one port; what the server sends back (its
   * RTCP: a keyframe can't be made from a clip) is dropped.
   */
  async #relay(forward: (packet: Buffer) => Buffer | null): Promise<{
    transport: types.PlainTransport;
    socket: dgram.Socket;
    port: number;
  }> {
    const transport = await this.#room.media.createPlainTransport(this.#peer, 'send');
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const server = transport.tuple.localPort;
    socket.on('message', (packet, from) => {
      if (process.env['BENCH_DEBUG'] && isRtcp(packet)) {
        console.log(
          `rtcp ${from.port === server ? 'from the server' : 'to the server'}: type ${packet[1]}`,
        );
      }
      const out = from.port !== server && packet.length >= 12 ? forward(packet) : null;
      if (out) {
        socket.send(out, server, '127.0.0.1');
      }
    });
    socket.on('error', () => undefined);
    return { transport, socket, port: socket.address().port };
  }
}
