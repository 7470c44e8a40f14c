/**
 * A camera in simulcast as the SFU sees one, made by hand: a tiny VP8 frame per layer
 * 30 times a second, a keyframe when the SFU asks for one (PLI, FIR) and the sender
 * reports that let it switch between layers. Unlike a looped clip (a keyframe a second
 * whatever is asked), it answers at once, so a test can time what the SFU does.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Peer } from '../../src/sfu/Peer.js';
import type { Room } from '../../src/sfu/Room.js';

export const SIMULCAST_SSRCS = [3_000_001, 3_000_002, 3_000_003] as const;
const PAYLOAD_TYPE = 101;
const FRAME_MS = 33;
const CLOCK_PER_MS = 90;

/** What a producer fed by this sender is created with (VP8, three SSRC layers). */
export const simulcastRtpParameters = {
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: PAYLOAD_TYPE,
      clockRate: 90000,
      rtcpFeedback: [
        { type: 'nack', parameter: 'pli' },
        { type: 'ccm', parameter: 'fir' },
      ],
    },
  ],
  encodings: SIMULCAST_SSRCS.map((ssrc, i) => ({
    ssrc,
    maxBitrate: [100_000, 300_000, 900_000][i],
  })),
};

/** A decodable VP8 keyframe and an inter frame after it, as an encoder makes them. */
export interface Vp8Frames {
  key: Buffer;
  inter: Buffer;
}

/**
 * Two frames of a tiny picture encoded by libvpx (in `dir`), for a receiver that decodes
 * what it gets: ffmpeg probes a stream's first frames before it records a picture, and
 * a frame made by hand is only a header.
 */
export function encodedVp8Frames(ffmpeg: string, dir: string): Vp8Frames {
  const file = path.join(dir, 'frames.ivf');
  execFileSync(ffmpeg, [
    ...['-y', '-hide_banner', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', 'testsrc=size=64x36:rate=30', '-frames:v', '2'],
    ...['-c:v', 'libvpx', '-g', '100', '-f', 'ivf', file],
  ]);
  // IVF: a 32-byte file header, then per frame a 12-byte header (its size first).
  const ivf = readFileSync(file);
  const frames: Buffer[] = [];
  for (let at = ivf.readUInt16LE(6); at + 12 <= ivf.length;) {
    const size = ivf.readUInt32LE(at);
    frames.push(ivf.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  const [key, inter] = frames;
  if (!key || !inter) {
    throw new Error('libvpx made fewer than two frames');
  }
  return { key, inter };
}

export class SimulcastRtpSender {
  readonly #socket: dgram.Socket;
  readonly #port: number;
  readonly #timer: NodeJS.Timeout;
  readonly #seq = [0, 0, 0];
  readonly #keyframeDue = [true, true, true];
  readonly #active = [true, true, true];
  readonly #startedAt = Date.now();
  readonly #frames: Vp8Frames | null;
  #closed = false;

  private constructor(socket: dgram.Socket, port: number, frames: Vp8Frames | null) {
    this.#socket = socket;
    this.#port = port;
    this.#frames = frames;
    socket.on('message', (msg) => this.#onRtcp(msg));
    this.#timer = setInterval(() => this.#frame(), FRAME_MS);
  }

  /**
   * Sends to a comedia PlainTransport (RTCP muxed) at `port` on 127.0.0.1: `frames` in
   * each layer if given (padded to the layer's size), else frame headers only.
   */
  static async start(port: number, frames: Vp8Frames | null = null): Promise<SimulcastRtpSender> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SimulcastRtpSender(socket, port, frames);
  }

  /** Stops or starts one layer at the sender, as a browser does, telling the SFU nothing. */
  setActive(spatialLayer: number, active: boolean): void {
    if (active && !this.#active[spatialLayer]) {
      // A browser starts a stopped encoding again with a keyframe.
      this.#keyframeDue[spatialLayer] = true;
    }
    this.#active[spatialLayer] = active;
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#socket.close();
    }
  }

  #send(packet: Buffer): void {
    if (!this.#closed) {
      this.#socket.send(packet, this.#port, '127.0.0.1');
    }
  }

  #frame(): void {
    const ms = Date.now() - this.#startedAt;
    const timestamp = (ms * CLOCK_PER_MS) >>> 0;
    for (const [layer, ssrc] of SIMULCAST_SSRCS.entries()) {
      if (!this.#active[layer]) {
        continue;
      }
      const key = this.#keyframeDue[layer] === true;
      this.#keyframeDue[layer] = false;
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 0x80 | PAYLOAD_TYPE; // marker: one packet per frame
      const seq = ((this.#seq[layer] ?? 0) + 1) & 0xffff;
      this.#seq[layer] = seq;
      header.writeUInt16BE(seq, 2);
      header.writeUInt32BE(timestamp, 4);
      header.writeUInt32BE(ssrc, 8);
      // VP8 payload descriptor (start of partition 0), then the frame header: a keyframe
      // has its inverse key bit clear and the start code with its size.
      const size = 160 << layer;
      const encoded = this.#frames && (key ? this.#frames.key : this.#frames.inter);
      const vp8 = encoded
        ? Buffer.concat([Buffer.from([0x10]), encoded])
        : key
          ? Buffer.from([
              0x10,
              0x00,
              0x00,
              0x00,
              0x9d,
              0x01,
              0x2a,
              size & 0xff,
              size >> 8,
              size & 0xff,
              size >> 8,
            ])
          : Buffer.from([0x10, 0x01, 0x00, 0x00]);
      this.#send(Buffer.concat([header, vp8, Buffer.alloc(200 << layer)]));
      if (seq % 15 === 1) {
        this.#send(this.#senderReport(ssrc, timestamp, ms));
      }
    }
  }

  /** An RTCP sender report: the wall clock of an RTP timestamp, the same for every layer. */
  #senderReport(ssrc: number, timestamp: number, ms: number): Buffer {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(ssrc, 4);
    const wall = this.#startedAt + ms;
    sr.writeUInt32BE(Math.floor(wall / 1000) + 2_208_988_800, 8);
    sr.writeUInt32BE(Math.floor(((wall % 1000) / 1000) * 2 ** 32) >>> 0, 12);
    sr.writeUInt32BE(timestamp, 16);
    return sr;
  }

  /** The SFU's PLI and FIR: the layer they name sends a keyframe next. */
  #onRtcp(msg: Buffer): void {
    for (let at = 0; at + 4 <= msg.length;) {
      const type = msg[at + 1];
      const fmt = (msg[at] ?? 0) & 0x1f;
      const length = (msg.readUInt16BE(at + 2) + 1) * 4;
      // PLI: the media SSRC after the sender's; FIR: the first request's SSRC after both.
      const ssrcAt = at + (fmt === 1 ? 8 : 12);
      if (type === 206 && (fmt === 1 || fmt === 4) && ssrcAt + 4 <= msg.length) {
        const ssrc = msg.readUInt32BE(ssrcAt);
        const layer = SIMULCAST_SSRCS.indexOf(ssrc as (typeof SIMULCAST_SSRCS)[number]);
        if (layer >= 0) {
          this.#keyframeDue[layer] = true;
        }
      }
      at += length;
    }
  }
}

/** A point's camera in `room`, sent for real by a SimulcastRtpSender on its own transport. */
export async function sendingCamera(
  room: Room,
  peer: Peer,
  frames: Vp8Frames | null = null,
): Promise<{ producer: types.Producer; sender: SimulcastRtpSender }> {
  const send = await room.media.createPlainTransport(peer, 'send');
  const { id } = await room.produce(peer, {
    transportId: send.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: simulcastRtpParameters,
  });
  const producer = peer.producers.get(id);
  if (!producer) {
    throw new Error('the camera was not produced');
  }
  return { producer, sender: await SimulcastRtpSender.start(send.tuple.localPort, frames) };
}
