/**
 * A synthetic point that publishes as a browser does, on the server's side: its
 * PlainTransports and producers (a camera in three simulcast layers with Opus, a shared
 * screen on demand), fed by the senders of bench/rtpSenders.ts, in this process or in a
 * load process (`launch`).
 */
import type { types } from 'mediasoup';
import type { Peer } from '../src/sfu/Peer.js';
import type { Room } from '../src/sfu/Room.js';
import {
  CameraSender,
  type CameraSpec,
  cameraRtpParameters,
  micRtpParameters,
  newSsrc,
  ScreenSender,
  type SimulcastClips,
  VP8,
} from './rtpSenders.js';

/** A running camera sender, wherever it runs. */
export interface CameraSending {
  setMaxSpatialLayer(maxSpatialLayer: number): void;
  close(): void;
}

export class SimulcastPublisher {
  readonly #room: Room;
  readonly #peer: Peer;
  readonly #ffmpeg: string;
  readonly #clips: SimulcastClips;
  #camera: CameraSending | null = null;
  #screen: { producerId: string; sender: ScreenSender } | null = null;
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
    launch: (spec: CameraSpec) => Promise<CameraSending> = (spec) => CameraSender.start(spec),
  ): Promise<SimulcastPublisher> {
    const p = new SimulcastPublisher(room, peer, clips, ffmpeg);
    await p.#startCamera(launch);
    return p;
  }

  /** Dynacast: the server's `publishLayers` for this point's camera. */
  setMaxSpatialLayer(producerId: string, maxSpatialLayer: number): void {
    if (producerId === this.cameraProducerId) {
      this.#camera?.setMaxSpatialLayer(maxSpatialLayer);
    }
  }

  async shareScreen(): Promise<void> {
    if (this.#screen) {
      return;
    }
    const ssrc = newSsrc();
    const transport = await this.#plainTransport();
    const { id } = await this.#room.produce(this.#peer, {
      transportId: transport.id,
      kind: 'video',
      source: 'screen',
      rtpParameters: { codecs: [VP8], encodings: [{ ssrc }] },
    });
    const sender = await ScreenSender.start({
      ffmpeg: this.#ffmpeg,
      clip: this.#clips.screen,
      ssrc,
      port: transport.tuple.localPort,
    });
    this.#screen = { producerId: id, sender };
  }

  stopScreen(): void {
    if (!this.#screen) {
      return;
    }
    this.#room.media.closeProducer(this.#peer, this.#screen.producerId);
    this.#screen.sender.close();
    this.#screen = null;
  }

  close(): void {
    this.stopScreen();
    this.#camera?.close();
  }

  async #startCamera(launch: (spec: CameraSpec) => Promise<CameraSending>): Promise<void> {
    const layerSsrcs: [number, number, number] = [newSsrc(), newSsrc(), newSsrc()];
    const audioSsrc = newSsrc();
    const video = await this.#plainTransport();
    const { id } = await this.#room.produce(this.#peer, {
      transportId: video.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: cameraRtpParameters(layerSsrcs),
    });
    this.cameraProducerId = id;
    const audio = await this.#plainTransport();
    await this.#room.produce(this.#peer, {
      transportId: audio.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: micRtpParameters(audioSsrc),
    });
    this.#camera = await launch({
      ffmpeg: this.#ffmpeg,
      clips: this.#clips,
      layerSsrcs,
      audioSsrc,
      videoPort: video.tuple.localPort,
      audioPort: audio.tuple.localPort,
    });
  }

  #plainTransport(): Promise<types.PlainTransport> {
    return this.#room.media.createPlainTransport(this.#peer, 'send');
  }
}
