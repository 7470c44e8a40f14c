/**
 * Before joining: the link is checked first (a refused one says why and what to do,
 * and no camera is asked for), then the camera and microphone are captured and shown,
 * the microphone's level metered, and the network measured.
 */
import { byId } from './dom.js';
import type { Translator } from './i18n.js';

/** Asks the server who the link is for; shows what is wrong when it cannot work. */
export async function checkLink(token: string | null, t: Translator): Promise<boolean> {
  let code = 'DC_ERR_TOKEN_MISSING';
  if (token) {
    try {
      const res = await fetch('/api/v1/invitation', {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      if (res.ok) {
        const me = (await res.json()) as {
          pointName: string;
          sessionTitle?: string;
          sessionState?: string;
          startsAt?: string;
        };
        byId('invited-as').textContent = t
          .get('precheck.invitedAs')
          .replace('{name}', me.pointName);
        if (me.sessionTitle !== undefined && me.startsAt !== undefined) {
          const when = new Date(me.startsAt).toLocaleString(t.lang === 'vi' ? 'vi-VN' : 'en-GB');
          byId('session-info').textContent = t
            .get('precheck.session')
            .replace('{title}', me.sessionTitle)
            .replace('{time}', when);
        }
        // Before the session opens, the device check is still worth doing.
        byId('not-open').hidden = me.sessionState === undefined || me.sessionState === 'live';
        return true;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      code = body.error?.code ?? 'DC_ERR_TOKEN_INVALID';
    } catch {
      code = 'DC_ERR_CONNECT_FAILED';
    }
  }
  const section = byId('link-problem');
  section.dataset['code'] = code;
  const text = t.get(`link.${code}`);
  byId('link-problem-text').textContent =
    text === `link.${code}` ? t.get('link.DC_ERR_TOKEN_INVALID') : text;
  byId('link-problem-action').textContent =
    code === 'DC_ERR_CONNECT_FAILED' ? t.get('link.action.network') : t.get('link.action');
  section.hidden = false;
  byId('precheck').hidden = true;
  return false;
}

/**
 * Captures camera and microphone (each alone if both together fail) and shows them. The
 * network is checked by the connectivity test (connectivityPanel.ts), over the media
 * path itself, when the clerk asks.
 */
export async function checkDevices(t: Translator): Promise<MediaStream> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } },
    });
  } catch {
    // Each device alone: a point with a broken camera can still join by voice.
    const audio = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
    const video = await navigator.mediaDevices.getUserMedia({ video: true }).catch(() => null);
    stream = new MediaStream([...(audio?.getTracks() ?? []), ...(video?.getTracks() ?? [])]);
  }
  byId<HTMLVideoElement>('preview').srcObject = stream;
  byId('camera-status').textContent =
    stream.getVideoTracks().length > 0 ? t.get('precheck.ok') : t.get('precheck.failed');
  byId('mic-status').textContent =
    stream.getAudioTracks().length > 0 ? t.get('precheck.ok') : t.get('precheck.failed');
  meterMicrophone(stream);
  return stream;
}

/** The microphone's level as a bar, while the device check is on screen. */
function meterMicrophone(stream: MediaStream): void {
  if (stream.getAudioTracks().length === 0) {
    return;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 256;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const bar = byId('mic-level');
  const tick = (): void => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) {
      peak = Math.max(peak, Math.abs(s - 128));
    }
    bar.style.width = `${Math.min(100, (peak / 128) * 200)}%`;
    if (!byId('precheck').hidden) {
      requestAnimationFrame(tick);
    } else {
      void context.close();
    }
  };
  tick();
}

/**
 * The sign-in form, for a delegate without its link: resolves with the token of the
 * login once the server accepts it; a refusal is said in the form, which stays.
 */
export function signIn(t: Translator): Promise<string> {
  const section = byId('signin');
  const form = byId<HTMLFormElement>('signin-form');
  const error = byId('signin-error');
  section.hidden = false;
  byId('precheck').hidden = true;
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const login = byId<HTMLInputElement>('signin-login').value;
      const password = byId<HTMLInputElement>('signin-password').value;
      error.hidden = true;
      void fetch('/api/v1/join/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, password }),
        cache: 'no-store',
      })
        .then(async (res) => {
          const body = (await res.json().catch(() => ({}))) as {
            token?: string;
            error?: { code?: string };
          };
          if (res.ok && body.token) {
            section.hidden = true;
            resolve(body.token);
            return;
          }
          const text = t.get(`signin.${body.error?.code ?? ''}`);
          error.textContent = text.startsWith('signin.') ? t.get('signin.failed') : text;
          error.dataset['code'] = body.error?.code ?? '';
          error.hidden = false;
        })
        .catch(() => {
          error.textContent = t.get('signin.failed');
          error.hidden = false;
        });
    });
  });
}
