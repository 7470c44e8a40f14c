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

  constructor(params: URLSearchParams) {
    this.#token = takeToken(params);
    this.#t = new Translator(params.get('lang') ?? localStorage.getItem('diemcau-lang'));
    this.#notices = new Notices(this.#t);
    this.#t.onChange(() => {
      this.#t.applyToDocument();
      this.#toolbar?.render();
      this.#tiles?.renderAll();
    });
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
      button.addEventListener('click', () => {
        const lang = button.dataset['lang'] === 'en' ? 'en' : 'vi';
        localStorage.setItem('diemcau-lang', lang);
        this.#t.set(lang);
      });
    }
    byId('join-button').addEventListener('click', () => void this.#join());
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
    byId<HTMLButtonElement>('join-button').disabled = false;
  }

  async #join(): Promise<void> {
    byId<HTMLButtonElement>('join-button').disabled = true;
    this.#setState('connecting');
    let session: DiemcauSession;
    try {
      session = await connect({ token: this.#token as string });
    } catch (err) {
      this.#setState('closed');
      this.#notices.showError(err);
      byId<HTMLButtonElement>('join-button').disabled = false;
      return;
    }
    this.#session = session;
    (window as unknown as { diemcauSession: DiemcauSession }).diemcauSession = session;
    const onError = (err: unknown): void => this.#notices.showError(err);
    const tiles = new TileGrid(session, this.#t, onError);
    this.#tiles = tiles;
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
    s.on('pointUpdated', (point) => tiles.render(point));
    s.on('pointLeft', ({ pointId }) => tiles.remove(pointId));
    // Tracks found while joining come just after connect() resolved, like any other.
    s.on('track', (track) => tiles.addTrack(track));
    s.on('trackEnded', (track) => tiles.removeTrack(track));
    s.on('remoteTrackPaused', ({ pointId, source, paused }) =>
      tiles.sourcePaused(pointId, source, paused),
    );
    s.on('activeSpeaker', () => {
      tiles.renderAll();
      tiles.applyLayers();
    });
    s.on('spotlight', () => {
      tiles.renderAll();
      tiles.applyLayers();
    });
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

  #setState(state: ConnectionState): void {
    const el = byId('connection-state');
    el.textContent = state;
    el.title = this.#t.get(`state.${state}`);
    el.dataset['state'] = state;
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
