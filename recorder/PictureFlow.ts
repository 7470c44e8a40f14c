/**
 * Whether a recording's picture is reaching its file, from ffmpeg's own count of the
 * video frames it has taken in. ffmpeg reports it (`-progress`, a block of `key=value`
 * lines with `frame=`) every period, over UDP on 127.0.0.1: a reader that stalls or
 * dies must never block or end the ffmpeg writing the legal record, as a pipe would.
 *
 * The picture is quiet when a report shows no new frame, or when no report comes at all
 * (ffmpeg waits in its read when nothing arrives, and says nothing while it first
 * probes the streams); it flows again with the first report of a new frame. The server
 * watched every recorded camera's layers three times a second to see one stop: 33
 * requests a second to mediasoup for 11 points, most of what diemcau's own process
 * cost beyond bare mediasoup. Now only a quiet picture is looked into.
 */
import dgram from 'node:dgram';

/** How often ffmpeg reports (s). */
export const PROGRESS_PERIOD_SECONDS = 0.2;
/**
 * No new frame for this long is quiet (ms): less than a period, so the first report
 * without a new frame says it. A camera sends a frame every 33–67 ms.
 */
const QUIET_MS = 150;
/** No report for this long is quiet too (ms). */
const SILENT_REPORTS_MS = PROGRESS_PERIOD_SECONDS * 1000 + QUIET_MS;

export interface PictureFlowListener {
  /** No frame has come in since `since` (ms since the epoch). */
  quiet(since: number): void;
  flows(): void;
  /**
   * Whether reports from this local UDP port are its ffmpeg's. Another ffmpeg may still
   * send to the port this one was given (one finishing after its run, one orphaned by
   * a recorder that died): its frame count is not this run's picture.
   */
  isOurs(port: number): boolean;
}

export class PictureFlow {
  readonly #socket: dgram.Socket;
  readonly #on: PictureFlowListener;
  readonly #watchdog: NodeJS.Timeout;
  #frames = 0;
  #grewAt: number;
  /** The report being read has shown a new frame. */
  #grew = false;
  #quiet = false;
  /** A report's lines not yet complete (a datagram holds whole reports, but be safe). */
  #partial = '';
  /** The port its ffmpeg reports from, once one report has been checked. */
  #from: number | null = null;
  #muted = false;
  #closed = false;

  private constructor(socket: dgram.Socket, on: PictureFlowListener) {
    this.#socket = socket;
    this.#on = on;
    this.#grewAt = Date.now();
    socket.on('message', (data, from) => {
      if (this.#from === null && on.isOurs(from.port)) {
        this.#from = from.port;
      }
      if (from.port === this.#from && !this.#muted) {
        this.#read(data.toString('latin1'));
      }
    });
    // A reader's socket error must not end the recorder: the watch is lost, not the record.
    socket.on('error', () => undefined);
    this.#watchdog = setTimeout(() => this.#noReport(), SILENT_REPORTS_MS);
    this.#watchdog.unref();
  }

  /** Listens on 127.0.0.1; give ffmpeg {@link url}. */
  static async open(on: PictureFlowListener): Promise<PictureFlow> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new PictureFlow(socket, on);
  }

  /** ffmpeg's `-progress` destination. */
  get url(): string {
    return `udp://127.0.0.1:${this.#socket.address().port}`;
  }

  get quiet(): boolean {
    return this.#quiet;
  }

  /**
   * Says nothing more (its run is ending: a picture that stops then is not news), but
   * keeps its port until {@link close}, so that no other run is given it while its
   * ffmpeg still reports.
   */
  mute(): void {
    this.#muted = true;
    clearTimeout(this.#watchdog);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#watchdog);
    this.#socket.close();
  }

  #read(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('frame=')) {
        const frames = Number(line.slice('frame='.length));
        if (Number.isFinite(frames) && frames > this.#frames) {
          this.#frames = frames;
          this.#grew = true;
        }
      } else if (line.startsWith('progress=')) {
        this.#report(Date.now());
      }
    }
  }

  /** A whole report has come in. */
  #report(now: number): void {
    if (this.#closed || this.#muted) {
      return;
    }
    this.#watchdog.refresh();
    const grew = this.#grew;
    this.#grew = false;
    if (grew) {
      this.#grewAt = now;
      if (this.#quiet) {
        this.#quiet = false;
        this.#on.flows();
      }
      return;
    }
    this.#goQuietIfSo(now);
  }

  #noReport(): void {
    if (!this.#closed && !this.#muted) {
      this.#goQuietIfSo(Date.now());
    }
  }

  #goQuietIfSo(now: number): void {
    if (!this.#quiet && now - this.#grewAt >= QUIET_MS) {
      this.#quiet = true;
      this.#on.quiet(this.#grewAt);
    }
  }
}
