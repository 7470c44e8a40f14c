/**
 * What a synthetic point sends, without the server: a camera in three simulcast layers
 * (three pre-encoded VP8 clips at the SDK's sizes and bitrates, looped in real time by
 * one ffmpeg, `-c copy`) with Opus, and a shared screen; each into a comedia
 * PlainTransport's port. It runs in the bench's process or in a load process of its own
 * (bench/loadProcess.ts), where its CPU is not counted as the server's.
 *
 * ffmpeg's RTP muxer sends each stream from a port of its own, while a comedia
 * PlainTransport takes one sender: a relay socket here forwards the three layers from
 * one port. It also follows the server's dynacast (`publishLayers`) when told: layers
 * above it go down to a trickle, as the SDK has a browser send them (a keyframe every
 * half second or so: the clip's deltas can't be thinned), and back in full at
 * once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTestClip } from '../test/helpers/media.js';
import { startsVp8Keyframe } from '../test/helpers/vp8Rtp.js';
import { audioLevelExtension } from '../test/helpers/voiceRtpSender.js';

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
      // A keyframe every fifth of a second. A browser answers the server's keyframe
      // request (a switch of layer, a layer that starts again) within a frame and a
      // round trip; a pre-encoded clip can't, and its next keyframe stands in for that
      // answer: a second's wait would be the clip's, not what a browser publisher costs.
      makeTestClip(file, { size, videoBitrate: bitrate, gop: 5, seconds: 20 });
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

export const VP8 = { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 };
export const OPUS = {
  mimeType: 'audio/opus',
  payloadType: 100,
  clockRate: 48000,
  channels: 2,
  parameters: { 'sprop-stereo': 1 },
};
/** The sound's level in each packet: mediasoup's speaker detection reads nothing else. */
export const AUDIO_LEVEL = { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 10 } as const;

/** What a synthetic camera's producer is told it receives: VP8, one encoding per layer. */
export const cameraRtpParameters = (layerSsrcs: readonly number[]) => ({
  codecs: [VP8],
  encodings: layerSsrcs.map((ssrc) => ({ ssrc })),
});

/** What a synthetic microphone's producer is told: Opus with the audio level extension. */
export const micRtpParameters = (ssrc: number) => ({
  codecs: [OPUS],
  encodings: [{ ssrc }],
  headerExtensions: [AUDIO_LEVEL],
});

// ffmpeg's RTP muxer takes a signed 32-bit SSRC.
export const newSsrc = (): number => 10_000_000 + Math.floor(Math.random() * 2e9);

/** A camera's streams and the server ports they go to. */
export interface CameraSpec {
  ffmpeg: string;
  clips: SimulcastClips;
  layerSsrcs: [number, number, number];
  audioSsrc: number;
  videoPort: number;
  audioPort: number;
}

export interface ScreenSpec {
  ffmpeg: string;
  clip: string;
  ssrc: number;
  port: number;
}

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
  const extension = audioLevelExtension(AUDIO_LEVEL.id, level, true);
  const out = Buffer.concat([packet.subarray(0, fixed), extension, packet.subarray(fixed)]);
  out[0] = (out[0] ?? 0) | 0x10;
  return out;
}

/**
 * A trickle's keyframes are this far apart at least (ms): about a sixth of the layer's
 * bitrate, as the SDK's trickle.
 */
const TRICKLE_FRAME_MS = 500;

/**
 * Which frames of one layer's VP8 packets go out: all of them, or as a trickle only a
 * keyframe now and then (a delta frame alone can't be decoded). A frame is let through
 * or held whole: the choice is made at its first packet and kept for its timestamp.
 */
class Trickle {
  #timestamp = -1;
  #passing = true;
  #lastKeptAt = -Infinity;

  passes(packet: Buffer, trickle: boolean): boolean {
    const timestamp = packet.readUInt32BE(4);
    if (timestamp !== this.#timestamp) {
      this.#timestamp = timestamp;
      const now = Date.now();
      this.#passing =
        !trickle || (startsVp8Keyframe(packet) && now - this.#lastKeptAt >= TRICKLE_FRAME_MS);
      if (this.#passing) {
        this.#lastKeptAt = now;
      }
    }
    return this.#passing;
  }
}

function isRtcp(packet: Buffer): boolean {
  const type = packet[1] ?? 0;
  return type >= 192 && type <= 223;
}

/** One ffmpeg output: a stream of an input, as RTP to 127.0.0.1. */
const rtpOut = (map: string, payloadType: number, ssrcOf: number, port: number) => [
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
  `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`,
];

const loop = (file: string): string[] => ['-re', '-stream_loop', '-1', '-i', file];

const stdio = (): 'inherit' | 'ignore' => (process.env['BENCH_FFMPEG_LOG'] ? 'inherit' : 'ignore');

/** Something sending until closed. */
export interface Sending {
  close(): void;
}

export class CameraSender implements Sending {
  readonly #sockets: dgram.Socket[] = [];
  #child: ChildProcess | null = null;
  #maxSpatialLayer = 2;

  static async start(spec: CameraSpec): Promise<CameraSender> {
    const sender = new CameraSender();
    await sender.#start(spec);
    return sender;
  }

  /** Dynacast: the server's `publishLayers` for this camera. */
  setMaxSpatialLayer(maxSpatialLayer: number): void {
    this.#maxSpatialLayer = maxSpatialLayer;
  }

  close(): void {
    this.#child?.kill('SIGKILL');
    for (const socket of this.#sockets) {
      socket.close();
    }
  }

  async #start(spec: CameraSpec): Promise<void> {
    const layers = spec.layerSsrcs;
    // A browser numbers only the packets it sends: those of frames left out of a
    // trickle are taken out of the numbering, or the server would count them lost and
    // score the layer down.
    const dropped = [0, 0, 0];
    const trickle = [0, 1, 2].map(() => new Trickle());
    const video = await relay(spec.videoPort, (packet) => {
      if (isRtcp(packet)) {
        return packet;
      }
      const layer = layers.indexOf(packet.readUInt32BE(8));
      if (layer < 0) {
        return null;
      }
      if (!(trickle[layer] as Trickle).passes(packet, layer > this.#maxSpatialLayer)) {
        dropped[layer] = (dropped[layer] ?? 0) + 1;
        return null;
      }
      packet.writeUInt16BE((packet.readUInt16BE(2) - (dropped[layer] ?? 0)) & 0xffff, 2);
      return packet;
    });
    this.#sockets.push(video.socket);
    const audio = await relay(spec.audioPort, (packet) =>
      isRtcp(packet) ? packet : withAudioLevel(packet),
    );
    this.#sockets.push(audio.socket);
    const [small, medium, large] = spec.clips.layers;
    this.#child = spawn(
      spec.ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        ...loop(small),
        ...loop(medium),
        ...loop(large),
        ...rtpOut('0:a', OPUS.payloadType, spec.audioSsrc, audio.port),
        ...[0, 1, 2].flatMap((i) =>
          rtpOut(`${i}:v`, VP8.payloadType, layers[i] as number, video.port),
        ),
      ],
      { stdio: stdio() },
    );
  }
}

export class ScreenSender implements Sending {
  readonly #socket: dgram.Socket;
  readonly #child: ChildProcess;

  private constructor(socket: dgram.Socket, child: ChildProcess) {
    this.#socket = socket;
    this.#child = child;
  }

  static async start(spec: ScreenSpec): Promise<ScreenSender> {
    const { socket, port } = await relay(spec.port, (packet) =>
      isRtcp(packet) || packet.readUInt32BE(8) === spec.ssrc ? packet : null,
    );
    const child = spawn(
      spec.ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        ...loop(spec.clip),
        ...rtpOut('0:v', VP8.payloadType, spec.ssrc, port),
      ],
      { stdio: stdio() },
    );
    return new ScreenSender(socket, child);
  }

  close(): void {
    this.#child.kill('SIGKILL');
    this.#socket.close();
  }
}

/**
 * A relay socket: what ffmpeg sends it, passed by `forward`, goes on from the relay's
 * one port to the server's; what the server sends back (its RTCP: a keyframe can't be
 * made from a clip) is dropped.
 */
async function relay(
  server: number,
  forward: (packet: Buffer) => Buffer | null,
): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
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
  return { socket, port: socket.address().port };
}
