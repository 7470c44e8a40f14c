/**
 * The delegate page (`/join?token=…`): device check, then the session — a tile per
 * bridge point, the active speaker highlighted, microphone/camera/screen toggles, and the
 * chair's controls for operator and host tokens. Plain DOM, no framework.
 */
import {
  type ConnectionState,
  DiemcauError,
  type DiemcauSession,
  type MediaSource,
  type PointInfo,
  type TrackEvent,
  connect,
} from '/sdk/diemcau-client.js';
import { type Lang, translate } from './i18n.js';

const params = new URLSearchParams(location.search);
// The token is kept for this tab (a reload must work) but taken out of the address bar,
// so it is not shared by copying the URL or left in screenshots.
const token = params.get('token') ?? sessionStorage.getItem('diemcau-token');
if (params.has('token')) {
  sessionStorage.setItem('diemcau-token', params.get('token') as string);
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}${params.size > 0 ? `?${params}` : ''}`);
}
let lang: Lang =
  (params.get('lang') ?? localStorage.getItem('diemcau-lang')) === 'en' ? 'en' : 'vi';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const t = (key: string): string => translate(lang, key);

let session: DiemcauSession | null = null;
/** This page asked to leave (the end is not a disconnection then). */
let leaving = false;
let problemTimer: ReturnType<typeof setTimeout> | undefined;
let previewStream: MediaStream | null = null;
const pointStreams = new Map<string, MediaStream>();
const screenStreams = new Map<string, MediaStream>();
const pausedSources = new Map<string, Set<MediaSource>>();

// ---- language ---------------------------------------------------------------------

function applyLanguage(): void {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset['i18n'] as string);
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset['lang'] === lang));
  }
  if (session) {
    renderControls();
    renderAllTiles();
  }
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
  button.addEventListener('click', () => {
    lang = button.dataset['lang'] === 'en' ? 'en' : 'vi';
    localStorage.setItem('diemcau-lang', lang);
    applyLanguage();
  });
}

// ---- device check -----------------------------------------------------------------

let errorTimer: ReturnType<typeof setTimeout> | undefined;

/** A refusal or failure, shown for a while: it is about a moment, not a state. */
function showError(err: unknown): void {
  const el = $('error');
  const code = err instanceof DiemcauError ? err.code : '';
  const localized = code ? t(`error.${code}`) : '';
  el.textContent =
    localized && localized !== `error.${code}`
      ? `${localized} (${code})`
      : String((err as Error).message ?? err);
  el.dataset['code'] = code;
  el.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(clearError, 10_000);
}

/** Takes the error away (all of them, or only one of `code`, once it no longer applies). */
function clearError(code?: string): void {
  const el = $('error');
  if (code === undefined || el.dataset['code'] === code) {
    el.hidden = true;
    el.dataset['code'] = '';
  }
}

/**
 * The link is asked about before anything else: a refused one says why and what to do,
 * and no camera is asked for.
 */
async function checkLink(): Promise<boolean> {
  let code = 'DC_ERR_TOKEN_MISSING';
  if (token) {
    try {
      const res = await fetch('/api/v1/invitation', {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      if (res.ok) {
        const me = (await res.json()) as { pointName: string };
        $('invited-as').textContent = t('precheck.invitedAs').replace('{name}', me.pointName);
        return true;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      code = body.error?.code ?? 'DC_ERR_TOKEN_INVALID';
    } catch {
      code = 'DC_ERR_CONNECT_FAILED';
    }
  }
  const section = $('link-problem');
  section.dataset['code'] = code;
  const text = t(`link.${code}`);
  $('link-problem-text').textContent =
    text === `link.${code}` ? t('link.DC_ERR_TOKEN_INVALID') : text;
  $('link-problem-action').textContent =
    code === 'DC_ERR_CONNECT_FAILED' ? t('link.action.network') : t('link.action');
  section.hidden = false;
  $('precheck').hidden = true;
  return false;
}

/** The session is over for this page: a plain screen, and a way back when there is one. */
function showEnded(kind: 'left' | 'removed' | 'closed'): void {
  $('session').hidden = true;
  $('precheck').hidden = true;
  $('recording-indicator').hidden = true;
  $('local-recording-indicator').hidden = true;
  const section = $('left');
  section.dataset['reason'] = kind;
  $('left-title').textContent = t(`${kind}.title`);
  $('left-text').textContent = t(`${kind}.text`);
  $('rejoin').hidden = kind === 'removed';
  section.hidden = false;
  for (const video of document.querySelectorAll('video')) {
    video.srcObject = null;
  }
}

async function deviceCheck(): Promise<void> {
  try {
    previewStream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } },
    });
  } catch {
    // Try each device alone: a point with a broken camera can still join by voice.
    const audio = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
    const video = await navigator.mediaDevices.getUserMedia({ video: true }).catch(() => null);
    previewStream = new MediaStream([...(audio?.getTracks() ?? []), ...(video?.getTracks() ?? [])]);
  }
  $<HTMLVideoElement>('preview').srcObject = previewStream;
  $('camera-status').textContent =
    previewStream.getVideoTracks().length > 0 ? t('precheck.ok') : t('precheck.failed');
  $('mic-status').textContent =
    previewStream.getAudioTracks().length > 0 ? t('precheck.ok') : t('precheck.failed');
  meterMicrophone(previewStream);
  $<HTMLButtonElement>('join-button').disabled = false;
  void measureBandwidth();
}

function meterMicrophone(stream: MediaStream): void {
  if (stream.getAudioTracks().length === 0) {
    return;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 256;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const bar = $('mic-level');
  const tick = (): void => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) {
      peak = Math.max(peak, Math.abs(s - 128));
    }
    bar.style.width = `${Math.min(100, (peak / 128) * 200)}%`;
    if (!$('precheck').hidden) {
      requestAnimationFrame(tick);
    } else {
      void context.close();
    }
  };
  tick();
}

async function measureBandwidth(): Promise<void> {
  const el = $('bandwidth-status');
  el.textContent = t('precheck.measuring');
  try {
    const bytes = 1024 * 1024;
    let started = performance.now();
    // Only an invitation's holder may use the check (it costs the central link).
    const auth = { authorization: `Bearer ${token ?? ''}` };
    const down = await fetch(`/bandwidth-test?bytes=${bytes}`, {
      cache: 'no-store',
      headers: auth,
    });
    if (!down.ok) {
      throw new Error(`network check refused (${down.status})`);
    }
    await down.arrayBuffer();
    const downMbps = (bytes * 8) / ((performance.now() - started) / 1000) / 1e6;
    started = performance.now();
    await fetch('/bandwidth-test', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes / 2),
    });
    const upMbps = ((bytes / 2) * 8) / ((performance.now() - started) / 1000) / 1e6;
    el.textContent = `${t('precheck.down')} ${downMbps.toFixed(1)} Mbit/s, ${t('precheck.up')} ${upMbps.toFixed(1)} Mbit/s`;
    el.dataset['downMbps'] = downMbps.toFixed(2);
  } catch {
    el.textContent = t('precheck.failed');
  }
}

// ---- session ----------------------------------------------------------------------

async function join(): Promise<void> {
  $<HTMLButtonElement>('join-button').disabled = true;
  setState('connecting');
  try {
    session = await connect({ token: token as string });
  } catch (err) {
    setState('closed');
    showError(err);
    $<HTMLButtonElement>('join-button').disabled = false;
    return;
  }
  (window as unknown as { diemcauSession: DiemcauSession }).diemcauSession = session;
  wire(session);
  $('precheck').hidden = true;
  $('session').hidden = false;
  $('error').hidden = true;
  renderAllTiles();
  renderControls();
  setState(session.connectionState);
  if (session.me?.role !== 'observer' && previewStream) {
    const audio = previewStream.getAudioTracks()[0];
    const video = previewStream.getVideoTracks()[0];
    await session
      .publish({ ...(audio ? { audio } : {}), ...(video ? { video } : {}) })
      .catch(showError);
    attachLocalPreview();
  }
}

function wire(s: DiemcauSession): void {
  s.on('connectionState', (state) => {
    setState(state);
    if (state === 'closed' && $('left').hidden) {
      showEnded(leaving ? 'left' : 'closed');
    }
  });
  s.on('pointJoined', (point) => renderTile(point));
  s.on('pointUpdated', (point) => renderTile(point));
  s.on('pointLeft', ({ pointId }) => {
    tileOf(pointId)?.remove();
    document.querySelector(`[data-screen-of="${CSS.escape(pointId)}"]`)?.remove();
    pointStreams.delete(pointId);
    screenStreams.delete(pointId);
  });
  s.on('track', showTrack);
  // Tracks received while connect() was joining came before these listeners.
  for (const existing of s.tracks) {
    showTrack(existing);
  }
  function showTrack({ pointId, source, track }: TrackEvent): void {
    if (source === 'screen') {
      screenStreams.set(pointId, new MediaStream([track]));
      renderScreenTile(pointId);
      return;
    }
    const stream = streamOf(pointId);
    for (const old of stream.getTracks().filter((x) => x.kind === track.kind)) {
      stream.removeTrack(old);
    }
    stream.addTrack(track);
    const video = tileOf(pointId)?.querySelector('video');
    if (video) {
      video.srcObject = stream;
      void video.play().catch(() => undefined);
    }
    applyLayers();
  }
  s.on('trackEnded', ({ pointId, source, kind }) => {
    if (source === 'screen') {
      screenStreams.delete(pointId);
      document.querySelector(`[data-screen-of="${CSS.escape(pointId)}"]`)?.remove();
      return;
    }
    const stream = pointStreams.get(pointId);
    for (const old of stream?.getTracks().filter((x) => x.kind === kind) ?? []) {
      stream?.removeTrack(old);
    }
  });
  s.on('remoteTrackPaused', ({ pointId, source, paused }) => {
    const set = pausedSources.get(pointId) ?? new Set<MediaSource>();
    if (paused) {
      set.add(source);
    } else {
      set.delete(source);
    }
    pausedSources.set(pointId, set);
    const point = s.points.find((p) => p.id === pointId);
    if (point) {
      renderTile(point);
    }
  });
  s.on('activeSpeaker', () => {
    renderAllTiles();
    applyLayers();
  });
  s.on('spotlight', () => {
    renderAllTiles();
    applyLayers();
  });
  s.on('sessionLocked', ({ locked }) => {
    renderControls();
    if (locked) {
      showBanner(t('banner.locked'));
    } else {
      $('banner').hidden = true;
    }
  });
  s.on('mutedByOperator', ({ muted }) => {
    renderControls();
    if (muted) {
      showBanner(t('banner.mutedByOperator'));
    } else {
      $('banner').hidden = true;
      // "Only the chair can unmute": no longer so.
      clearError('DC_ERR_MUTED_BY_OPERATOR');
    }
  });
  s.on('kicked', () => showEnded('removed'));
  s.on('recordingProblem', ({ pointId, detail }) => {
    if (!isChair()) {
      return;
    }
    const el = $('recording-problem');
    const name = s.points.find((p) => p.id === pointId)?.name ?? pointId ?? '—';
    el.textContent = t('recording.problem').replace('{point}', name).replace('{detail}', detail);
    el.hidden = false;
    clearTimeout(problemTimer);
    problemTimer = setTimeout(() => (el.hidden = true), 30_000);
  });
  s.on('recordingState', () => renderControls());
  s.on('recordingAlarm', ({ freeMb, minFreeMb }) => {
    // The chair can act on it (free space, export, restart the recording).
    if (isChair()) {
      const el = $('recording-alarm');
      el.textContent = t('recording.alarm')
        .replace('{free}', String(freeMb))
        .replace('{min}', String(minFreeMb));
      el.hidden = false;
    }
  });
  s.on('localTrack', () => renderControls());
}

function setState(state: ConnectionState): void {
  const el = $('connection-state');
  el.textContent = state;
  el.title = t(`state.${state}`);
  el.dataset['state'] = state;
}

function showBanner(text: string): void {
  const el = $('banner');
  el.textContent = text;
  el.hidden = false;
}

function streamOf(pointId: string): MediaStream {
  let stream = pointStreams.get(pointId);
  if (!stream) {
    stream = new MediaStream();
    pointStreams.set(pointId, stream);
  }
  return stream;
}

function tileOf(pointId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.tile[data-point-id="${CSS.escape(pointId)}"]`);
}

function isChair(): boolean {
  return session?.me?.role === 'operator' || session?.me?.role === 'host';
}

function renderAllTiles(): void {
  for (const point of session?.points ?? []) {
    renderTile(point);
  }
}

function renderTile(point: PointInfo): void {
  if (!session || point.role === 'observer') {
    return;
  }
  const me = session.me?.pointId === point.id;
  let tile = tileOf(point.id);
  if (!tile) {
    tile = document.createElement('div');
    tile.className = 'tile';
    tile.dataset['pointId'] = point.id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = me;
    const foot = Object.assign(document.createElement('div'), { className: 'foot' });
    foot.append(
      Object.assign(document.createElement('div'), { className: 'label' }),
      Object.assign(document.createElement('div'), { className: 'ops' }),
    );
    tile.append(video, foot);
    tile.append(Object.assign(document.createElement('div'), { className: 'badges' }));
    // The central point first, then in order of arrival.
    const tiles = $('tiles');
    if (point.kind === 'central') {
      tiles.prepend(tile);
    } else {
      tiles.append(tile);
    }
    if (me) {
      attachLocalPreview();
    } else if (pointStreams.has(point.id)) {
      video.srcObject = pointStreams.get(point.id) as MediaStream;
    }
  }
  tile.dataset['kind'] = point.kind;
  const speaking = session.activeSpeaker === point.id;
  tile.classList.toggle('active-speaker', speaking);
  tile.dataset['activeSpeaker'] = String(speaking);
  tile.classList.toggle('spotlight', session.spotlight === point.id);
  const label = tile.querySelector('.label') as HTMLElement;
  label.textContent = `${point.name}${point.kind === 'central' ? ` · ${t('tile.central')}` : ''}${me ? ` ${t('tile.you')}` : ''}`;

  const badges = tile.querySelector('.badges') as HTMLElement;
  badges.replaceChildren();
  const micOff =
    point.mutedByOperator ||
    pausedSources.get(point.id)?.has('mic') ||
    (me && session.isPaused('mic'));
  if (micOff) {
    badges.append(
      Object.assign(document.createElement('span'), {
        className: 'badge muted',
        textContent: t('tile.muted'),
      }),
    );
  }
  if (point.connection === 'reconnecting') {
    badges.append(
      Object.assign(document.createElement('span'), {
        className: 'badge reconnecting',
        textContent: t('tile.reconnecting'),
      }),
    );
  }
  tile.dataset['connection'] = point.connection;

  const ops = tile.querySelector('.ops') as HTMLElement;
  ops.replaceChildren();
  if (isChair() && !me) {
    const s = session;
    ops.append(
      opButton(point.mutedByOperator ? t('tile.unmute') : t('tile.mute'), 'op-mute', () =>
        point.mutedByOperator ? s.unmutePoint(point.id) : s.mutePoint(point.id),
      ),
      opButton(
        s.spotlight === point.id ? t('tile.unspotlight') : t('tile.spotlight'),
        'op-spotlight',
        () => s.setSpotlight(s.spotlight === point.id ? null : point.id),
      ),
      opButton(t('tile.remove'), 'op-remove', async () => {
        // Removed for good: asked first.
        if (confirm(t('confirm.remove').replace('{name}', point.name))) {
          await s.removePoint(point.id);
        }
      }),
    );
  }
}

function opButton(text: string, testId: string, action: () => Promise<void>): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = text;
  button.dataset['testid'] = testId;
  button.addEventListener('click', () => void action().catch(showError));
  return button;
}

function renderScreenTile(pointId: string): void {
  let tile = document.querySelector<HTMLElement>(`[data-screen-of="${CSS.escape(pointId)}"]`);
  if (!tile) {
    tile = document.createElement('div');
    tile.className = 'tile screen';
    tile.dataset['screenOf'] = pointId;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    const foot = Object.assign(document.createElement('div'), { className: 'foot' });
    foot.append(Object.assign(document.createElement('div'), { className: 'label' }));
    tile.append(video, foot);
    $('tiles').append(tile);
  }
  const name = session?.points.find((p) => p.id === pointId)?.name ?? pointId;
  (tile.querySelector('.label') as HTMLElement).textContent = `${t('tile.screen')} ${name}`;
  (tile.querySelector('video') as HTMLVideoElement).srcObject = screenStreams.get(pointId) ?? null;
}

function attachLocalPreview(): void {
  const me = session?.me?.pointId;
  const camera = session?.localTrack('camera');
  const video = me ? tileOf(me)?.querySelector('video') : null;
  if (video && camera) {
    video.srcObject = new MediaStream([camera]);
  }
}

/** Large layer for the speaker and the spotlight, small for the rest of the grid. */
function applyLayers(): void {
  if (!session) {
    return;
  }
  const others = session.points.filter((p) => p.id !== session?.me?.pointId);
  for (const point of others) {
    const big = point.id === session.activeSpeaker || point.id === session.spotlight;
    const layer = big ? 2 : others.length <= 3 ? 1 : 0;
    void session.setPreferredLayer(point.id, layer);
  }
}

function renderControls(): void {
  if (!session) {
    return;
  }
  const canPublish = session.me?.role !== 'observer';
  const mic = $<HTMLButtonElement>('toggle-mic');
  const micMuted = session.isPaused('mic') || session.mutedByOperator;
  mic.textContent = micMuted ? t('controls.micOff') : t('controls.micOn');
  mic.setAttribute('aria-pressed', String(micMuted));
  mic.hidden = !canPublish;
  const camera = $<HTMLButtonElement>('toggle-camera');
  camera.textContent = session.isPaused('camera')
    ? t('controls.cameraOff')
    : t('controls.cameraOn');
  camera.setAttribute('aria-pressed', String(session.isPaused('camera')));
  camera.hidden = !canPublish;
  const screen = $<HTMLButtonElement>('toggle-screen');
  const sharing = session.localTrack('screen') !== null;
  screen.textContent = sharing ? t('controls.screenOn') : t('controls.screenOff');
  screen.setAttribute('aria-pressed', String(sharing));
  screen.hidden = !canPublish;
  // Everyone is told, visibly, whether the session is being recorded.
  $('recording-indicator').hidden = !session.recording;
  if (session.recording) {
    $('recording-alarm').hidden = true;
  }
  const local = $<HTMLButtonElement>('toggle-local-recording');
  local.hidden = false;
  local.textContent = session.localRecording
    ? t('controls.localRecordStop')
    : t('controls.localRecordStart');
  $('local-recording-indicator').hidden = session.localRecording === null;
  const record = $<HTMLButtonElement>('toggle-recording');
  record.hidden = !isChair();
  record.textContent = session.recording ? t('controls.recordStop') : t('controls.recordStart');
  record.setAttribute('aria-pressed', String(session.recording));
  const lock = $<HTMLButtonElement>('toggle-lock');
  lock.hidden = !isChair();
  lock.textContent = session.locked ? t('controls.unlock') : t('controls.lock');
  lock.setAttribute('aria-pressed', String(session.locked));
  const me = session.points.find((p) => p.id === session?.me?.pointId);
  if (me) {
    renderTile(me);
  }
}

$('toggle-mic').addEventListener('click', () => {
  const s = session;
  if (s) {
    void s.setMicMuted(!s.isPaused('mic')).catch(showError).finally(renderControls);
  }
});
$('toggle-camera').addEventListener('click', () => {
  const s = session;
  if (s) {
    void s.setCameraOff(!s.isPaused('camera')).catch(showError).finally(renderControls);
  }
});
$('toggle-screen').addEventListener('click', () => {
  const s = session;
  if (s) {
    const action = s.localTrack('screen') ? s.unpublish('screen') : s.publish({ screen: true });
    void action.catch(showError).finally(renderControls);
  }
});
$('toggle-recording').addEventListener('click', () => {
  const s = session;
  if (s) {
    void s.setRecording(!s.recording).catch(showError);
  }
});
$('toggle-local-recording').addEventListener('click', () => {
  const s = session;
  if (!s) {
    return;
  }
  const running = s.localRecording;
  if (!running) {
    s.startLocalRecording();
    renderControls();
    return;
  }
  void running
    .stop()
    .then((file) => {
      // Saved by the browser into this PC's downloads, named by session and time.
      const link = $<HTMLAnchorElement>('local-recording-download');
      const stamp = running.startedAt.toISOString().replace(/[:.]/g, '-');
      link.href = URL.createObjectURL(file);
      link.download = `diemcau-${s.me?.sessionId ?? 'session'}-${stamp}.webm`;
      link.textContent = link.download;
      link.dataset['bytes'] = String(file.size);
      link.hidden = false;
      link.click();
    })
    .catch(showError)
    .finally(renderControls);
});
$('toggle-lock').addEventListener('click', () => {
  const s = session;
  if (s) {
    void s.lockSession(!s.locked).catch(showError);
  }
});
$('leave').addEventListener('click', () => {
  leaving = true;
  void session?.leave();
});
$('rejoin').addEventListener('click', () => location.reload());
$('join-button').addEventListener('click', () => void join());

applyLanguage();
void checkLink().then((ok) => {
  if (ok) {
    $('precheck').hidden = false;
    void deviceCheck();
  }
});
