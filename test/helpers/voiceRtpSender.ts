/**
 * A microphone as the SFU's speaker detection hears one, made by hand: an Opus packet
 * every 20 ms carrying the sender's own audio level (RFC 6464), as a browser sends it.
 * mediasoup's observers read that level, not the sound, so a test sets who speaks and
 * when to the packet.
 */
import dgram from 'node:dgram';

const PAYLOAD_TYPE = 100;
export const PACKET_MS = 20;
/** The header extension's id in the producer's RTP parameters below. */
const AUDIO_LEVEL_EXT_ID = 1;
/**
 * A quiet room's murmur, in -dBov: the speaker detection learns each microphone's floor
 * and hears only what rises above it (a level that never changes is no voice).
 */
export const QUIET = 70;

/** What a producer fed by a sender with this SSRC is created with (Opus, audio level). */
export function voiceRtpParameters(ssrc: number) {
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: PAYLOAD_TYPE,
        clockRate: 48000,
        channels: 2,
      },
    ],
    headerExtensions: [
      { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' as const, id: AUDIO_LEVEL_EXT_ID },
    ],
    encodings: [{ ssrc }],
  };
}

/**
 * The audio level header extension (RFC 6464) as one-byte extensions (0xBEDE) of one
 * word: the level's id, length 1, then the voice-activity bit and the level (-dBov).
 */
export function audioLevelExtension(id: number, level: number, voiced: boolean): Buffer {
  return Buffer.from([0xbe, 0xde, 0x00, 0x01, id << 4, (voiced ? 0x80 : 0) | (level & 0x7f), 0, 0]);
}

/**
 * One packet of a voice at `level` (-dBov; QUIET is a quiet room): an Opus frame the SFU
 * does not read, and the audio level (RFC 6464) its observers do.
 */
export function voicePacket(ssrc: number, seq: number, timestamp: number, level: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x90; // version 2, a header extension
  header[1] = PAYLOAD_TYPE;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  const extension = audioLevelExtension(AUDIO_LEVEL_EXT_ID, level, level < QUIET);
  // An Opus frame's bytes are not read by the SFU: a silence frame's TOC byte will do.
  const opus = Buffer.from([0xf8, 0xff, 0xfe]);
  return Buffer.concat([header, extension, opus]);
}

export class VoiceRtpSender {
  readonly #socket: dgram.Socket;
  readonly #port: number;
  readonly #ssrc: number;
  readonly #timer: NodeJS.Timeout;
  #seq = 0;
  #timestamp = 0;
  #level = QUIET;
  #closed = false;

  private constructor(socket: dgram.Socket, port: number, ssrc: number) {
    this.#socket = socket;
    this.#port = port;
    this.#ssrc = ssrc;
    this.#timer = setInterval(() => this.#packet(), PACKET_MS);
  }

  /**
   * Sends to a comedia PlainTransport (RTCP muxed) at `port` on 127.0.0.1, quiet at
   * first: let the detection learn the floor (a second) before speaking.
   */
  static async start(port: number, ssrc: number): Promise<VoiceRtpSender> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new VoiceRtpSender(socket, port, ssrc);
  }

  /** Speaks at this level (dBov, e.g. -25 for speech), or falls quiet (null). */
  speak(dBov: number | null): void {
    this.#level = dBov === null ? QUIET : Math.min(QUIET, Math.max(0, Math.round(-dBov)));
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#socket.close();
    }
  }

  #packet(): void {
    if (this.#closed) {
      return;
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + 48 * PACKET_MS) >>> 0;
    this.#socket.send(
      voicePacket(this.#ssrc, this.#seq, this.#timestamp, this.#level),
      this.#port,
      '127.0.0.1',
    );
  }
}
