import { DiemcauError } from '/sdk/diemcau-client.js';
import { byId } from './dom.js';
import type { Translator } from './i18n.js';

/**
 * What the page tells the clerk outside the tiles: a refusal or failure (shown for a
 * while: it is about a moment, not a state), a banner for a state that lasts (locked,
 * muted by the chair), and the chair's recording problems and disk alarm.
 */
export class Notices {
  readonly #t: Translator;
  #errorTimer: ReturnType<typeof setTimeout> | undefined;
  #problemTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(t: Translator) {
    this.#t = t;
  }

  showError(err: unknown): void {
    const el = byId('error');
    const code = err instanceof DiemcauError ? err.code : '';
    const localized = code ? this.#t.get(`error.${code}`) : '';
    el.textContent =
      localized && localized !== `error.${code}`
        ? `${localized} (${code})`
        : String((err as Error).message ?? err);
    el.dataset['code'] = code;
    el.hidden = false;
    clearTimeout(this.#errorTimer);
    this.#errorTimer = setTimeout(() => this.clearError(), 10_000);
  }

  /** Takes the error away (any, or only one of `code`, once it no longer applies). */
  clearError(code?: string): void {
    const el = byId('error');
    if (code === undefined || el.dataset['code'] === code) {
      el.hidden = true;
      el.dataset['code'] = '';
    }
  }

  showBanner(text: string): void {
    const el = byId('banner');
    el.textContent = text;
    el.hidden = false;
  }

  hideBanner(): void {
    byId('banner').hidden = true;
  }

  /** A recording problem, for the chair: who, and what. */
  recordingProblem(pointName: string, detail: string): void {
    const el = byId('recording-problem');
    el.textContent = this.#t
      .get('recording.problem')
      .replace('{point}', pointName)
      .replace('{detail}', detail);
    el.hidden = false;
    clearTimeout(this.#problemTimer);
    this.#problemTimer = setTimeout(() => (el.hidden = true), 30_000);
  }

  recordingAlarm(freeMb: number, minFreeMb: number): void {
    const el = byId('recording-alarm');
    el.textContent = this.#t
      .get('recording.alarm')
      .replace('{free}', String(freeMb))
      .replace('{min}', String(minFreeMb));
    el.hidden = false;
  }

  hideRecordingAlarm(): void {
    byId('recording-alarm').hidden = true;
  }
}
