/**
 * The delegate page (`/join?token=…`): the link checked, then the device check, then
 * the session — a tile per bridge point (tiles.ts), the toolbar (toolbar.ts), and the
 * chair's controls for operator and host credentials (chairControls.ts). Plain DOM, no
 * framework; every word from i18n.ts.
 */
import { type ConnectionState, type DiemcauSession, connect } from '/sdk/diemcau-client.js';
import { isChair } from './chairControls.js';
import { ConnectivityPanel } from './connectivityPanel.js';
import { checkDevices, checkLink, signIn } from './deviceCheck.js';
import { byId } from './dom.js';
import { Translator } from './i18n.js';
import { Notices } from './notices.js';
import { TileGrid } from './tiles.js';
import { Toolbar } from './toolbar.js';

/**
 * The token is kept for this tab (a reload must work) but taken out of the address
 * bar, so it is not shared by copying the URL or left in screenshots.
 */
function takeToken(params: URLSearchParams): string | null {
  const token = params.get('token') ?? sessionStorage.getItem('diemcau-token');
  if (params.has('token')) {
    sessionStorage.setItem('diemcau-token', params.get('token') as string);
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size > 0 ? `?${params}` : ''}`);
  }
  return token;
}

class JoinPage {
  #token: string | null;
  readonly #t: Translator;
  readonly #notices: Notices;
  #preview: MediaStream | null = null;
  #session: DiemcauSession | null = null;
  #tiles: TileGrid | null = null;
  #toolbar: Toolbar | null = null;
  /** This page asked to leave (the end is not a disconnection then). */
  #leaving = false;
  #devicesChecked = false;

  constructor(params: URLSearchParams) {
    this.#token = takeToken(params);
    this.#t = new Translator(params.get('lang') ?? localStorage.getItem('diemcau-lang'));
    this.#notices = new Notices(this.#t);
    this.#t.onChange(() => {
      this.#t.applyToDocument();
      this.#toolbar?.render();
      this.#tiles?.renderAll();
      this.#renderLayoutButton();
      this.#setState(this.#session?.connectionState ?? null);
    });
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
      button.addEventListener('click', () => {
        const lang = button.dataset['lang'] === 'en' ? 'en' : 'vi';
        localStorage.setItem('diemcau-lang', lang);
        this.#t.set(lang);
      });
    }
    byId('join-button').addEventListener('click', () => void this.#join());
    // Joining waits for the clerk to acknowledge that the session is recorded.
    byId('recording-consent').addEventListener('change', () => this.#enableJoin());
    byId('toggle-layout').addEventListener('click', () => {
      const tiles = this.#tiles;
      if (tiles) {
        tiles.setLayout(tiles.layout === 'stage' ? 'grid' : 'stage');
        localStorage.setItem('diemcau-layout', tiles.layout);
        this.#renderLayoutButton();
      }
    });
    byId('leave').addEventListener('click', () => {
      this.#leaving = true;
      void this.#session?.leave();
    });
    byId('rejoin').addEventListener('click', () => location.reload());
    this.#t.applyToDocument();
  }

  async start(): Promise<void> {
    if (this.#token === null) {
      // No link: the login and password of the invitation.
      const token = await signIn(this.#t);
      sessionStorage.setItem('diemcau-token', token);
      this.#token = token;
    }
    if (!(await checkLink(this.#token, this.#t))) {
      return;
    }
    byId('precheck').hidden = false;
    new ConnectivityPanel(() => this.#token as string, this.#t);
    this.#preview = await checkDevices(this.#t);
    this.#devicesChecked = true;
    this.#enableJoin();
  }

  #enableJoin(): void {
    byId<HTMLButtonElement>('join-button').disabled = !(
      this.#devicesChecked && byId<HTMLInputElement>('recording-consent').checked
    );
  }

  #renderLayoutButton(): void {
    const button = byId('toggle-layout');
    const layout = this.#tiles?.layout ?? 'stage';
    button.textContent = this.#t.get(layout === 'stage' ? 'layout.toGrid' : 'layout.toStage');
    button.title = this.#t.get('layout.hint');
    button.dataset['layout'] = layout;
  }

  async #join(): Promise<void> {
    byId<HTMLButtonElement>('join-button').disabled = true;
    this.#setState('connecting');
    let session: DiemcauSession;
    try {
      session = await connect({ token: this.#token as string, acknowledgedRecording: true });
    } catch (err) {
      this.#setState('closed');
      this.#notices.showError(err);
      this.#enableJoin();
      return;
    }
    this.#session = session;
    (window as unknown as { diemcauSession: DiemcauSession }).diemcauSession = session;
    const onError = (err: unknown): void => this.#notices.showError(err);
    const tiles = new TileGrid(session, this.#t, onError);
    this.#tiles = tiles;
    tiles.setLayout(localStorage.getItem('diemcau-layout') === 'grid' ? 'grid' : 'stage');
    this.#renderLayoutButton();
    this.#toolbar = new Toolbar(session, this.#t, onError, () => {
      const me = session.points.find((p) => p.id === session.me?.pointId);
      if (me) {
        tiles.render(me);
      }
    });
    this.#wire(session, tiles, this.#toolbar);
    byId('precheck').hidden = true;
    byId('session').hidden = false;
    byId('error').hidden = true;
    tiles.renderAll();
    this.#toolbar.render();
    this.#setState(session.connectionState);
    tiles.showQuality(session.points.flatMap((p) => session.quality(p.id) ?? []));
    const preview = this.#preview;
    if (session.me?.role !== 'observer' && preview) {
      const audio = preview.getAudioTracks()[0];
      const video = preview.getVideoTracks()[0];
      await session
        .publish({ ...(audio ? { audio } : {}), ...(video ? { video } : {}) })
        .catch(onError);
      tiles.attachLocalPreview();
    }
  }

  #wire(s: DiemcauSession, tiles: TileGrid, toolbar: Toolbar): void {
    const t = this.#t;
    const notices = this.#notices;
    let ended = false;
    s.on('sessionEnded', () => (ended = true));
    s.on('connectionState', (state) => {
      this.#setState(state);
      if (state === 'closed' && byId('left').hidden && !ended) {
        this.#showEnded(this.#leaving ? 'left' : 'closed');
      }
    });
    s.on('pointJoined', (point) => tiles.render(point));
    s.on('pointQuality', (points) => tiles.showQuality(points));
    s.on('pointUpdated', (point) => tiles.render(point));
    s.on('pointLeft', ({ pointId }) => tiles.remove(pointId));
    // Tracks found while joining come just after connect() resolved, like any other.
    s.on('track', (track) => tiles.addTrack(track));
    s.on('trackEnded', (track) => tiles.removeTrack(track));
    s.on('remoteTrackPaused', ({ pointId, source, paused }) =>
      tiles.sourcePaused(pointId, source, paused),
    );
    s.on('activeSpeaker', () => tiles.renderAll());
    s.on('spotlight', () => tiles.renderAll());
    s.on('sessionLocked', ({ locked }) => {
      toolbar.render();
      if (locked) {
        notices.showBanner(t.get('banner.locked'));
      } else {
        notices.hideBanner();
      }
    });
    s.on('mutedByOperator', ({ muted }) => {
      toolbar.render();
      if (muted) {
        notices.showBanner(t.get('banner.mutedByOperator'));
      } else {
        notices.hideBanner();
        // "Only the chair can unmute": no longer so.
        notices.clearError('DC_ERR_MUTED_BY_OPERATOR');
      }
    });
    s.on('kicked', () => this.#showEnded('removed'));
    s.on('sessionEnded', () => this.#showEnded('ended'));
    s.on('recordingProblem', ({ pointId, detail }) => {
      if (isChair(s)) {
        const name = s.points.find((p) => p.id === pointId)?.name ?? pointId ?? '—';
        notices.recordingProblem(name, detail);
      }
    });
    s.on('recordingState', () => toolbar.render());
    s.on('recordingAlarm', ({ freeMb, minFreeMb }) => {
      // The chair can act on it (free space, export, restart the recording).
      if (isChair(s)) {
        notices.recordingAlarm(freeMb, minFreeMb);
      }
    });
    s.on('localTrack', () => toolbar.render());
  }

  /** The state in the page's language for people; the SDK's word for scripts, unseen. */
  #setState(state: ConnectionState | null): void {
    byId('state-wrap').hidden = state === null;
    if (state === null) {
      return;
    }
    const el = byId('connection-state');
    el.textContent = state;
    el.dataset['state'] = state;
    const label = byId('connection-label');
    label.textContent = this.#t.get(`state.${state}`);
    label.dataset['state'] = state;
  }

  /** The session is over for this page: a plain screen, and a way back when there is one. */
  #showEnded(kind: 'left' | 'removed' | 'closed' | 'ended'): void {
    byId('session').hidden = true;
    byId('precheck').hidden = true;
    byId('recording-indicator').hidden = true;
    byId('local-recording-indicator').hidden = true;
    const section = byId('left');
    section.dataset['reason'] = kind;
    byId('left-title').textContent = this.#t.get(`${kind}.title`);
    byId('left-text').textContent = this.#t.get(`${kind}.text`);
    byId('rejoin').hidden = kind === 'removed' || kind === 'ended';
    section.hidden = false;
    for (const video of document.querySelectorAll('video')) {
      video.srcObject = null;
    }
  }
}

void new JoinPage(new URLSearchParams(location.search)).start();
