/**
 * The session-cost bench's yardstick: one session's media on bare mediasoup, no
 * diemcau (no signaling, governor, stats, recorder process, archive). The same points
 * as diemcau's bench session: each publishes a 3-layer simulcast camera and Opus into
 * PlainTransports (the senders run in a load process), receives every other point on
 * a PlainTransport into a sink, asks for the speaker's top layer and everyone else's
 * lowest, and is recorded: its camera's top layer and its sound consumed into an ffmpeg
 * of its own, as a mediasoup application records (and as diemcau's recorder does: the
 * same ffmpeg command line, run by the load process). The receiving ends matter to the
 * worker: a packet sent on loopback wakes the process it is for, in the sender's time,
 * and a recording ffmpeg sleeps between packets where the sink does not.
 */
import path from 'node:path';
import type { types } from 'mediasoup';
import { freeUdpPorts } from '../common/portFree.js';
import { sdpTrackOf } from '../recorder/sdp.js';
import { createRecordingConsumer } from '../src/recording/recordingConsumer.js';
import { MEDIA_CODECS } from '../src/sfu/codecs.js';
import { withoutFeedback } from './publishClip.js';
import {
  cameraRtpParameters,
  micRtpParameters,
  newSsrc,
  type SimulcastClips,
} from './rtpSenders.js';
import type { CameraSending } from './simulcastPublisher.js';
import type { SenderProcess } from './SenderProcess.js';

interface BarePoint {
  id: string;
  producers: types.Producer[];
  camera: types.Producer;
  recv: types.PlainTransport;
  consumers: types.Consumer[];
}

export class BareSession {
  readonly #router: types.Router;
  readonly #sinkPort: number;
  readonly #points: BarePoint[] = [];
  /** Points' sending and receiving transports: what crosses the link, in and out. */
  readonly #send: types.PlainTransport[] = [];
  readonly #recv: types.PlainTransport[] = [];
  readonly #cameras: CameraSending[] = [];
  readonly #recorderPids: number[] = [];
  /** Where the points' recordings go, as in diemcau's archive. */
  readonly #recordingDir: string;
  /** Runs its senders, its sink and its recording ffmpegs. */
  readonly #load: SenderProcess;
  #speaker: string | null = null;

  private constructor(router: types.Router, load: SenderProcess, recordingDir: string) {
    this.#router = router;
    this.#load = load;
    this.#sinkPort = load.sinkPort;
    this.#recordingDir = recordingDir;
  }

  /** Its senders, sink and recording ffmpegs in `load`. */
  static async start(
    worker: types.Worker,
    load: SenderProcess,
    recordingDir: string,
  ): Promise<BareSession> {
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    return new BareSession(router, load, recordingDir);
  }

  /** The recording ffmpegs' process ids. */
  get recorderPids(): readonly number[] {
    return this.#recorderPids;
  }

  get consumerCount(): number {
    return this.#points.reduce((sum, p) => sum + p.consumers.length, 0);
  }

  async addPoint(id: string, clips: SimulcastClips, ffmpeg: string): Promise<void> {
    const layerSsrcs: [number, number, number] = [newSsrc(), newSsrc(), newSsrc()];
    const audioSsrc = newSsrc();
    const video = await this.#plain({ comedia: true });
    const audio = await this.#plain({ comedia: true });
    const recv = await this.#plain({ comedia: false });
    this.#send.push(video, audio);
    this.#recv.push(recv);
    const camera = await video.produce({
      kind: 'video',
      rtpParameters: cameraRtpParameters(layerSsrcs),
    });
    const mic = await audio.produce({
      kind: 'audio',
      rtpParameters: micRtpParameters(audioSsrc),
    });
    await recv.connect({ ip: '127.0.0.1', port: this.#sinkPort });
    const point: BarePoint = { id, producers: [camera, mic], camera, recv, consumers: [] };
    for (const other of this.#points) {
      for (const producer of other.producers) {
        await this.#consume(point, producer, other);
      }
      for (const producer of point.producers) {
        await this.#consume(other, producer, point);
      }
    }
    this.#points.push(point);
    await this.#record(point, ffmpeg);
    this.#cameras.push(
      await this.#load.camera({
        ffmpeg,
        clips,
        layerSsrcs,
        audioSsrc,
        videoPort: video.tuple.localPort,
        audioPort: audio.tuple.localPort,
      }),
    );
  }

  /** As the room page asks: the speaker's picture large, everyone else's a thumbnail. */
  async setSpeaker(pointId: string): Promise<void> {
    this.#speaker = pointId;
    for (const point of this.#points) {
      for (const consumer of point.consumers) {
        await this.#wish(consumer);
      }
    }
  }

  /** Bytes the points sent in and the session sent out to them, so far. */
  async bytes(): Promise<{ received: number; sent: number }> {
    const sum = async (ts: types.PlainTransport[], key: 'bytesReceived' | 'bytesSent') =>
      (await Promise.all(ts.map((t) => t.getStats()))).flat().reduce((n, s) => n + s[key], 0);
    return {
      received: await sum(this.#send, 'bytesReceived'),
      sent: await sum(this.#recv, 'bytesSent'),
    };
  }

  /** Its recordings end with the load process. */
  close(): void {
    for (const camera of this.#cameras) {
      camera.close();
    }
    this.#router.close();
  }

  async #consume(receiver: BarePoint, producer: types.Producer, owner: BarePoint): Promise<void> {
    const consumer = await receiver.recv.consume({
      producerId: producer.id,
      rtpCapabilities: withoutFeedback(this.#router.rtpCapabilities),
      appData: { pointId: owner.id },
    });
    receiver.consumers.push(consumer);
    await this.#wish(consumer);
  }

  async #wish(consumer: types.Consumer): Promise<void> {
    if (consumer.type === 'simulcast') {
      const large = (consumer.appData as { pointId: string }).pointId === this.#speaker;
      await consumer.setPreferredLayers({ spatialLayer: large ? 2 : 0 });
    }
  }

  /** The point's camera (top layer) and sound into one ffmpeg, as diemcau records a point. */
  async #record(point: BarePoint, ffmpeg: string): Promise<void> {
    const base = await freeUdpPorts(2 * point.producers.length);
    const consumers = await Promise.all(
      point.producers.map((producer, i) =>
        createRecordingConsumer(this.#router, producer.id, base + 2 * i, base + 2 * i + 1),
      ),
    );
    const pid = await this.#load.record({
      ffmpeg,
      dir: path.join(this.#recordingDir, point.id),
      name: point.id,
      tracks: consumers.map((c, i) => sdpTrackOf(c, base + 2 * i, base + 2 * i + 1)),
    });
    this.#recorderPids.push(pid);
    for (const consumer of consumers) {
      await consumer.resume();
    }
  }

  #plain(options: { comedia: boolean }): Promise<types.PlainTransport> {
    return this.#router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: options.comedia,
    });
  }
}
