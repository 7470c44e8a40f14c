/**
 * The session's tiles: one per bridge point (its video, name, state badges and, for the
 * chair, its controls), the central point first, and one per shared screen. Remote
 * tracks are gathered into one stream per point; the layer each point is received in
 * follows the tile's importance (the speaker and the spotlight large).
 */
import type { DiemcauSession, MediaSource, PointInfo, TrackEvent } from '/sdk/diemcau-client.js';
import { chairButtons, isChair } from './chairControls.js';
import { byId, element } from './dom.js';
import type { Translator } from './i18n.js';

export class TileGrid {
  readonly #session: DiemcauSession;
  readonly #t: Translator;
  readonly #onError: (err: unknown) => void;
  readonly #streams = new Map<string, MediaStream>();
  readonly #screens = new Map<string, MediaStream>();
  readonly #paused = new Map<string, Set<MediaSource>>();

  constructor(session: DiemcauSession, t: Translator, onError: (err: unknown) => void) {
    this.#session = session;
    this.#t = t;
    this.#onError = onError;
  }

  renderAll(): void {
    for (const point of this.#session.points) {
      this.render(point);
    }
  }

  render(point: PointInfo): void {
    const session = this.#session;
    if (point.role === 'observer') {
      return;
    }
    const me = session.me?.pointId === point.id;
    const tile = this.#tileOf(point.id) ?? this.#create(point, me);
    tile.dataset['kind'] = point.kind;
    const speaking = session.activeSpeaker === point.id;
    tile.classList.toggle('active-speaker', speaking);
    tile.dataset['activeSpeaker'] = String(speaking);
    tile.classList.toggle('spotlight', session.spotlight === point.id);
    const t = (key: string): string => this.#t.get(key);
    (tile.querySelector('.label') as HTMLElement).textContent =
      `${point.name}${point.kind === 'central' ? ` · ${t('tile.central')}` : ''}${me ? ` ${t('tile.you')}` : ''}`;

    const badges = tile.querySelector('.badges') as HTMLElement;
    badges.replaceChildren();
    const micOff =
      point.mutedByOperator ||
      this.#paused.get(point.id)?.has('mic') ||
      (me && session.isPaused('mic'));
    if (micOff) {
      badges.append(element('span', 'badge muted', t('tile.muted')));
    }
    if (point.connection === 'reconnecting') {
      badges.append(element('span', 'badge reconnecting', t('tile.reconnecting')));
    }
    tile.dataset['connection'] = point.connection;

    const ops = tile.querySelector('.ops') as HTMLElement;
    ops.replaceChildren(
      ...(isChair(session) && !me ? chairButtons(session, point, this.#t, this.#onError) : []),
    );
  }

  remove(pointId: string): void {
    this.#tileOf(pointId)?.remove();
    this.#screenTileOf(pointId)?.remove();
    this.#streams.delete(pointId);
    this.#screens.delete(pointId);
  }

  addTrack({ pointId, source, track }: TrackEvent): void {
    if (source === 'screen') {
      this.#screens.set(pointId, new MediaStream([track]));
      this.#renderScreen(pointId);
      return;
    }
    const stream = this.#streamOf(pointId);
    for (const old of stream.getTracks().filter((x) => x.kind === track.kind)) {
      stream.removeTrack(old);
    }
    stream.addTrack(track);
    const video = this.#tileOf(pointId)?.querySelector('video');
    if (video) {
      video.srcObject = stream;
      void video.play().catch(() => undefined);
    }
    this.applyLayers();
  }

  removeTrack({
    pointId,
    source,
    kind,
  }: {
    pointId: string;
    source: MediaSource;
    kind: string;
  }): void {
    if (source === 'screen') {
      this.#screens.delete(pointId);
      this.#screenTileOf(pointId)?.remove();
      return;
    }
    const stream = this.#streams.get(pointId);
    for (const old of stream?.getTracks().filter((x) => x.kind === kind) ?? []) {
      stream?.removeTrack(old);
    }
  }

  /** A point paused or resumed a source: its badges follow. */
  sourcePaused(pointId: string, source: MediaSource, paused: boolean): void {
    const set = this.#paused.get(pointId) ?? new Set<MediaSource>();
    if (paused) {
      set.add(source);
    } else {
      set.delete(source);
    }
    this.#paused.set(pointId, set);
    const point = this.#session.points.find((p) => p.id === pointId);
    if (point) {
      this.render(point);
    }
  }

  /** This point's own camera in its tile, as captured (not sent back by the server). */
  attachLocalPreview(): void {
    const me = this.#session.me?.pointId;
    const camera = this.#session.localTrack('camera');
    const video = me ? this.#tileOf(me)?.querySelector('video') : null;
    if (video && camera) {
      video.srcObject = new MediaStream([camera]);
    }
  }

  /** Large layer for the speaker and the spotlight, small for the rest of the grid. */
  applyLayers(): void {
    const session = this.#session;
    const others = session.points.filter((p) => p.id !== session.me?.pointId);
    for (const point of others) {
      const big = point.id === session.activeSpeaker || point.id === session.spotlight;
      const layer = big ? 2 : others.length <= 3 ? 1 : 0;
      void session.setPreferredLayer(point.id, layer);
    }
  }

  #create(point: PointInfo, me: boolean): HTMLElement {
    const tile = element('div', 'tile');
    tile.dataset['pointId'] = point.id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = me;
    const foot = element('div', 'foot');
    foot.append(element('div', 'label'), element('div', 'ops'));
    tile.append(video, foot, element('div', 'badges'));
    // The central point first, then in order of arrival.
    const tiles = byId('tiles');
    if (point.kind === 'central') {
      tiles.prepend(tile);
    } else {
      tiles.append(tile);
    }
    if (me) {
      this.attachLocalPreview();
    } else if (this.#streams.has(point.id)) {
      video.srcObject = this.#streams.get(point.id) as MediaStream;
    }
    return tile;
  }

  #renderScreen(pointId: string): void {
    let tile = this.#screenTileOf(pointId);
    if (!tile) {
      tile = element('div', 'tile screen');
      tile.dataset['screenOf'] = pointId;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true;
      const foot = element('div', 'foot');
      foot.append(element('div', 'label'));
      tile.append(video, foot);
      byId('tiles').append(tile);
    }
    const name = this.#session.points.find((p) => p.id === pointId)?.name ?? pointId;
    (tile.querySelector('.label') as HTMLElement).textContent =
      `${this.#t.get('tile.screen')} ${name}`;
    (tile.querySelector('video') as HTMLVideoElement).srcObject =
      this.#screens.get(pointId) ?? null;
  }

  #streamOf(pointId: string): MediaStream {
    let stream = this.#streams.get(pointId);
    if (!stream) {
      stream = new MediaStream();
      this.#streams.set(pointId, stream);
    }
    return stream;
  }

  #tileOf(pointId: string): HTMLElement | null {
    return document.querySelector<HTMLElement>(`.tile[data-point-id="${CSS.escape(pointId)}"]`);
  }

  #screenTileOf(pointId: string): HTMLElement | null {
    return document.querySelector<HTMLElement>(`[data-screen-of="${CSS.escape(pointId)}"]`);
  }
}
