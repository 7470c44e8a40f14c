/**
 * The bottom toolbar once joined: this point's microphone, camera and screen, the
 * local copy, leaving; and for the chair, the lock and the recording switch. Buttons
 * name the action; the state shows in the badges and indicators.
 */
import type { DiemcauSession } from '/sdk/diemcau-client.js';
import { isChair } from './chairControls.js';
import { byId } from './dom.js';
import type { Translator } from './i18n.js';

export class Toolbar {
  readonly #session: DiemcauSession;
  readonly #t: Translator;
  readonly #onError: (err: unknown) => void;
  /** Called after a change of this point's own state (its tile's badges follow). */
  readonly #changed: () => void;

  constructor(
    session: DiemcauSession,
    t: Translator,
    onError: (err: unknown) => void,
    changed: () => void,
  ) {
    this.#session = session;
    this.#t = t;
    this.#onError = onError;
    this.#changed = changed;
    this.#wire();
  }

  render(): void {
    const s = this.#session;
    const t = (key: string): string => this.#t.get(key);
    const canPublish = s.me?.role !== 'observer';
    const mic = byId<HTMLButtonElement>('toggle-mic');
    const micMuted = s.isPaused('mic') || s.mutedByOperator;
    mic.textContent = micMuted ? t('controls.micOff') : t('controls.micOn');
    mic.setAttribute('aria-pressed', String(micMuted));
    mic.hidden = !canPublish;
    const camera = byId<HTMLButtonElement>('toggle-camera');
    camera.textContent = s.isPaused('camera') ? t('controls.cameraOff') : t('controls.cameraOn');
    camera.setAttribute('aria-pressed', String(s.isPaused('camera')));
    camera.hidden = !canPublish;
    const screen = byId<HTMLButtonElement>('toggle-screen');
    const sharing = s.localTrack('screen') !== null;
    screen.textContent = sharing ? t('controls.screenOn') : t('controls.screenOff');
    screen.setAttribute('aria-pressed', String(sharing));
    screen.hidden = !canPublish;
    // Everyone is told, visibly, whether the session is being recorded.
    byId('recording-indicator').hidden = !s.recording;
    if (s.recording) {
      byId('recording-alarm').hidden = true;
    }
    const local = byId<HTMLButtonElement>('toggle-local-recording');
    local.hidden = false;
    local.textContent = s.localRecording
      ? t('controls.localRecordStop')
      : t('controls.localRecordStart');
    byId('local-recording-indicator').hidden = s.localRecording === null;
    const record = byId<HTMLButtonElement>('toggle-recording');
    record.hidden = !isChair(s);
    record.textContent = s.recording ? t('controls.recordStop') : t('controls.recordStart');
    record.setAttribute('aria-pressed', String(s.recording));
    const end = byId<HTMLButtonElement>('end-session');
    end.hidden = !isChair(s);
    end.textContent = t('controls.endSession');
    const lock = byId<HTMLButtonElement>('toggle-lock');
    lock.hidden = !isChair(s);
    lock.textContent = s.locked ? t('controls.unlock') : t('controls.lock');
    lock.setAttribute('aria-pressed', String(s.locked));
    this.#changed();
  }

  #wire(): void {
    const s = this.#session;
    const after = (action: Promise<void>): void =>
      void action.catch(this.#onError).finally(() => this.render());
    byId('toggle-mic').addEventListener('click', () => after(s.setMicMuted(!s.isPaused('mic'))));
    byId('toggle-camera').addEventListener('click', () =>
      after(s.setCameraOff(!s.isPaused('camera'))),
    );
    byId('toggle-screen').addEventListener('click', () =>
      after(s.localTrack('screen') ? s.unpublish('screen') : s.publish({ screen: true })),
    );
    byId('toggle-recording').addEventListener('click', () => {
      void s.setRecording(!s.recording).catch(this.#onError);
    });
    byId('toggle-lock').addEventListener('click', () => {
      void s.lockSession(!s.locked).catch(this.#onError);
    });
    byId('toggle-local-recording').addEventListener('click', () => this.#toggleLocalRecording());
    byId('end-session').addEventListener('click', () => {
      // For every point, for good: asked first.
      if (confirm(this.#t.get('confirm.endSession'))) {
        void s.endSession().catch(this.#onError);
      }
    });
  }

  #toggleLocalRecording(): void {
    const s = this.#session;
    const running = s.localRecording;
    if (!running) {
      s.startLocalRecording();
      this.render();
      return;
    }
    void running
      .stop()
      .then((file) => {
        // Saved by the browser into this PC's downloads, named by session and time.
        const link = byId<HTMLAnchorElement>('local-recording-download');
        const stamp = running.startedAt.toISOString().replace(/[:.]/g, '-');
        link.href = URL.createObjectURL(file);
        link.download = `diemcau-${s.me?.sessionId ?? 'session'}-${stamp}.webm`;
        link.textContent = link.download;
        link.dataset['bytes'] = String(file.size);
        link.hidden = false;
        link.click();
      })
      .catch(this.#onError)
      .finally(() => this.render());
  }
}
