/**
 * The session's tiles: one per bridge point (its video, name, state badges, its link's
 * quality and, for the chair, its controls), the central point first, and one per shared
 * screen; laid out to fill the room, as a stage (the spotlight, a shared screen or the
 * speaker large, the others in a strip) or a grid (all equal), as this viewer chooses.
 * Remote tracks are gathered into one stream per point; the layer each point is received
 * in follows the size of its tile on screen.
 */
import type {
  DiemcauSession,
  MediaSource,
  PointInfo,
  PointQualityInfo,
  TrackEvent,
} from '/sdk/diemcau-client.js';
import { chairButtons, isChair } from './chairControls.js';
import { byId, element } from './dom.js';
import type { Translator } from './i18n.js';

export type Layout = 'stage' | 'grid';

export class TileGrid {
  readonly #session: DiemcauSession;
  readonly #t: Translator;
  readonly #onError: (err: unknown) => void;
  readonly #streams = new Map<string, MediaStream>();
  readonly #screens = new Map<string, MediaStream>();
  readonly #paused = new Map<string, Set<MediaSource>>();
  #layout: Layout = 'stage';
  /** The layer last asked for each point. */
  readonly #layers = new Map<string, 0 | 1 | 2>();
  /** Who is on the stage: kept while the speaker is this point itself or nobody. */
  #stage: string | null = null;
  readonly #resize = new ResizeObserver(() => this.applyLayers());

  constructor(session: DiemcauSession, t: Translator, onError: (err: unknown) => void) {
    this.#session = session;
    this.#t = t;
    this.#onError = onError;
    this.#resize.observe(byId('tiles'));
  }

  get layout(): Layout {
    return this.#layout;
  }

  setLayout(layout: Layout): void {
    this.#layout = layout;
    this.arrange();
  }

  renderAll(): void {
    for (const point of this.#session.points) {
      this.render(point);
    }
    this.arrange();
  }

  /**
   * Places the tiles: which one is on the stage, how many columns and rows, then asks for
   * the layers their sizes need.
   */
  arrange(): void {
    const box = byId('tiles');
    const tiles = [...box.querySelectorAll<HTMLElement>(':scope > .tile')];
    const stage = this.#stageTile(tiles);
    box.dataset['layout'] = this.#layout;
    for (const tile of tiles) {
      tile.dataset['stage'] = String(this.#layout === 'stage' && tile === stage);
    }
    if (this.#layout === 'stage') {
      const strip = Math.max(1, tiles.length - 1);
      const cols = Math.max(6, strip);
      box.style.setProperty('--cols', String(cols));
      // A strip tile keeps a 16:9 picture: its height from its width.
      const width = (box.clientWidth - 16 - 8 * (cols - 1)) / cols;
      box.style.setProperty('--strip', `${Math.max(60, Math.round((width * 9) / 16))}px`);
    } else {
      const n = Math.max(1, tiles.length);
      const aspect = box.clientWidth / Math.max(1, box.clientHeight);
      // The column count whose 16:9 tiles fill the box best.
      let best = 1;
      let bestArea = 0;
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const w = Math.min(1 / cols, ((1 / rows) * 16) / 9 / aspect);
        if (w > bestArea) {
          bestArea = w;
          best = cols;
        }
      }
      box.style.setProperty('--cols', String(best));
      box.style.setProperty('--rows', String(Math.ceil(n / best)));
    }
    this.applyLayers();
  }

  /** The spotlight, else a shared screen, else who speaks (not this point), else the central point. */
  #stageTile(tiles: HTMLElement[]): HTMLElement | undefined {
    const s = this.#session;
    const me = s.me?.pointId;
    const byPoint = (id: string | null): HTMLElement | undefined =>
      id ? tiles.find((t) => t.dataset['pointId'] === id) : undefined;
    const speaker = s.activeSpeaker !== me ? s.activeSpeaker : null;
    if (speaker && byPoint(speaker)) {
      this.#stage = speaker;
    }
    return (
      byPoint(s.spotlight) ??
      tiles.find((t) => t.dataset['screenOf'] !== undefined) ??
      byPoint(this.#stage) ??
      tiles.find((t) => t.dataset['kind'] === 'central' && t.dataset['pointId'] !== me) ??
      tiles.find((t) => t.dataset['pointId'] !== me) ??
      tiles[0]
    );
  }

  /** Each point's link quality on its tile, the figures in its tooltip. */
  showQuality(points: PointQualityInfo[]): void {
    for (const q of points) {
      const el = this.#tileOf(q.pointId)?.querySelector<HTMLElement>('.quality');
      if (!el) {
        continue;
      }
      const label = this.#t
        .get('quality.figures')
        .replace('{grade}', this.#t.get(`quality.${q.quality}`))
        .replace('{loss}', q.lossPct === null ? '—' : String(q.lossPct))
        .replace('{rtt}', q.rttMs === null ? '—' : String(q.rttMs))
        .replace('{kbps}', String(Math.round(q.sendKbps)));
      el.dataset['quality'] = q.quality;
      el.title = label;
      el.setAttribute('aria-label', label);
    }
  }

  render(point: PointInfo): void {
    const session = this.#session;
    if (point.role === 'observer') {
      return;
    }
    const me = session.me?.pointId === point.id;
    const existing = this.#tileOf(point.id);
    const tile = existing ?? this.#create(point, me);
    if (!existing) {
      this.arrange();
    }
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
    this.#layers.delete(pointId);
    this.arrange();
  }

  addTrack({ pointId, source, track }: TrackEvent): void {
    if (source === 'screen') {
      this.#screens.set(pointId, new MediaStream([track]));
      this.#renderScreen(pointId);
      this.arrange();
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
      this.arrange();
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

  /**
   * Each point in the layer its tile's size on screen needs: the large one from 640 px
   * wide, the middle one from 320, else the thumbnail (the server may send less).
   */
  applyLayers(): void {
    const session = this.#session;
    for (const point of session.points) {
      if (point.id === session.me?.pointId) {
        continue;
      }
      const width = this.#tileOf(point.id)?.clientWidth ?? 0;
      const layer = width >= 640 ? 2 : width >= 320 ? 1 : 0;
      // Asked once per change: every event re-arranges the room, and requests share the
      // signaling queue with a reconnection's. (Consumers made later get it from the SDK.)
      if (this.#layers.get(point.id) !== layer) {
        this.#layers.set(point.id, layer);
        void session.setPreferredLayer(point.id, layer);
      }
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
    const quality = element('div', 'quality');
    quality.dataset['testid'] = 'quality';
    quality.setAttribute('role', 'img');
    quality.tabIndex = 0;
    quality.append(...[0, 1, 2, 3].map(() => document.createElement('span')));
    tile.append(video, foot, element('div', 'badges'), quality);
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
