/**
 * Local recording at a delegate point (Decision 748 allows a copy there too): what this
 * point sees and hears — every point's picture in a grid, every point's sound mixed,
 * its own included — recorded by the browser's MediaRecorder into one WebM file. The
 * grid follows points joining and leaving while it records.
 */
import type { MediaSource, PointInfo, TrackEvent } from './types.js';

/** What a local recording reads of the session: who is there, and every track. */
export interface RecordedSession {
  readonly me: { pointId: string } | null;
  readonly points: PointInfo[];
  readonly tracks: TrackEvent[];
  localTrack(source: MediaSource): MediaStreamTrack | null;
}

export interface LocalRecordingOptions {
  /** Frame size of the recording (default 1280×720) and rate (default 15 fps). */
  width?: number;
  height?: number;
  fps?: number;
}

interface Tile {
  pointId: string;
  video: HTMLVideoElement;
}

export class LocalRecording {
  readonly #session: RecordedSession;
  readonly #canvas: HTMLCanvasElement;
  readonly #audio: AudioContext;
  readonly #mix: MediaStreamAudioDestinationNode;
  readonly #sources = new Map<string, MediaStreamAudioSourceNode>();
  readonly #tiles = new Map<string, Tile>();
  readonly #recorder: MediaRecorder;
  readonly #chunks: Blob[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #stopped: Promise<Blob>;
  readonly startedAt = new Date();
  #closed = false;

  constructor(session: RecordedSession, options: LocalRecordingOptions = {}) {
    this.#session = session;
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = options.width ?? 1280;
    this.#canvas.height = options.height ?? 720;
    this.#audio = new AudioContext();
    this.#mix = this.#audio.createMediaStreamDestination();
    const fps = options.fps ?? 15;
    const stream = this.#canvas.captureStream(fps);
    for (const track of this.#mix.stream.getAudioTracks()) {
      stream.addTrack(track);
    }
    const mimeType = ['video/webm;codecs=vp8,opus', 'video/webm'].find((m) =>
      MediaRecorder.isTypeSupported(m),
    );
    this.#recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.#recorder.ondataavailable = (e) => {
      if (e.data.size > 0) {
        this.#chunks.push(e.data);
      }
    };
    this.#stopped = new Promise((resolve) => {
      this.#recorder.onstop = () =>
        resolve(new Blob(this.#chunks, { type: this.#recorder.mimeType || 'video/webm' }));
    });
    // A chunk a second: a crash of the tab loses at most that much of what was handed over.
    this.#recorder.start(1000);
    this.#timer = setInterval(() => this.#draw(), 1000 / fps);
  }

  get recording(): boolean {
    return !this.#closed;
  }

  /** Ends the recording; resolves with the WebM file. Safe to call twice. */
  stop(): Promise<Blob> {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#recorder.stop();
      void this.#stopped.finally(() => {
        for (const tile of this.#tiles.values()) {
          tile.video.srcObject = null;
        }
        void this.#audio.close();
      });
    }
    return this.#stopped;
  }

  /** Which pictures and sounds there are now: the session's own tracks, and ours. */
  #sync(): void {
    const videos = new Map<string, MediaStreamTrack>();
    const audios = new Map<string, MediaStreamTrack>();
    const me = this.#session.me?.pointId ?? 'me';
    const camera = this.#session.localTrack('camera');
    const mic = this.#session.localTrack('mic');
    if (camera) {
      videos.set(me, camera);
    }
    if (mic) {
      audios.set(`${me}:mic`, mic);
    }
    for (const t of this.#session.tracks) {
      if (t.track.readyState !== 'live') {
        continue;
      }
      if (t.kind === 'video' && t.source === 'camera') {
        videos.set(t.pointId, t.track);
      } else if (t.kind === 'audio') {
        audios.set(t.consumerId, t.track);
      }
    }
    for (const [id, tile] of this.#tiles) {
      const track = videos.get(id);
      const current = (tile.video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track) {
        tile.video.srcObject = null;
        this.#tiles.delete(id);
      } else if (current !== track) {
        tile.video.srcObject = new MediaStream([track]);
        void tile.video.play().catch(() => undefined);
      }
    }
    for (const [id, track] of videos) {
      if (!this.#tiles.has(id)) {
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        video.srcObject = new MediaStream([track]);
        void video.play().catch(() => undefined);
        this.#tiles.set(id, { pointId: id, video });
      }
    }
    for (const [id, source] of this.#sources) {
      if (!audios.has(id)) {
        source.disconnect();
        this.#sources.delete(id);
      }
    }
    for (const [id, track] of audios) {
      if (!this.#sources.has(id)) {
        const source = this.#audio.createMediaStreamSource(new MediaStream([track]));
        source.connect(this.#mix);
        this.#sources.set(id, source);
      }
    }
  }

  #draw(): void {
    this.#sync();
    const ctx = this.#canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    const { width, height } = this.#canvas;
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, width, height);
    const tiles = [...this.#tiles.values()];
    const cols = Math.max(1, Math.ceil(Math.sqrt(tiles.length)));
    const rows = Math.max(1, Math.ceil(tiles.length / cols));
    const w = width / cols;
    const h = height / rows;
    const names = new Map(this.#session.points.map((p) => [p.id, p.name]));
    ctx.font = `${Math.max(14, Math.round(h / 18))}px sans-serif`;
    tiles.forEach((tile, i) => {
      const x = (i % cols) * w;
      const y = Math.floor(i / cols) * h;
      if (tile.video.readyState >= 2) {
        ctx.drawImage(tile.video, x, y, w, h);
      }
      const label = names.get(tile.pointId) ?? tile.pointId;
      ctx.fillStyle = 'rgba(0,0,0,0.6)';
      ctx.fillRect(x + 6, y + h - 34, ctx.measureText(label).width + 12, 28);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, x + 12, y + h - 14);
    });
    const clock = new Date().toLocaleString('vi-VN');
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(
      width - ctx.measureText(clock).width - 22,
      6,
      ctx.measureText(clock).width + 16,
      28,
    );
    ctx.fillStyle = '#fff';
    ctx.fillText(clock, width - ctx.measureText(clock).width - 14, 26);
  }
}
