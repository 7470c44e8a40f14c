/**
 * The sessions page: every session by day (upcoming first, past below), its state and
 * the steps of the plan that are late; and the form to plan a new one.
 */
import type { Api } from './api.js';
import { byId, el, formValues } from './dom.js';
import type { Words } from './i18n.js';
import { linkMbpsOf } from './sessionFields.js';
import type { SessionSummary } from './types.js';

export class SessionsView {
  readonly #api: Api;
  readonly #w: Words;
  readonly #onError: (err: unknown) => void;

  constructor(api: Api, words: Words, onError: (err: unknown) => void) {
    this.#api = api;
    this.#w = words;
    this.#onError = onError;
    byId<HTMLFormElement>('new-session-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#create(e.target as HTMLFormElement);
    });
  }

  async show(): Promise<void> {
    const { sessions } = await this.#api.call<{ sessions: SessionSummary[] }>('GET', '/sessions');
    this.#render(sessions);
  }

  #render(sessions: SessionSummary[]): void {
    const w = this.#w;
    const agenda = byId('agenda');
    if (sessions.length === 0) {
      agenda.replaceChildren(el('p', { class: 'meta' }, w.get('sessions.none')));
      return;
    }
    const locale = w.lang === 'vi' ? 'vi-VN' : 'en-GB';
    const now = Date.now();
    const sorted = [...sessions].sort((a, b) => {
      // Upcoming first, soonest first; then the past, latest first.
      const pa = Date.parse(a.endsAt) < now;
      const pb = Date.parse(b.endsAt) < now;
      if (pa !== pb) {
        return pa ? 1 : -1;
      }
      const d = Date.parse(a.startsAt) - Date.parse(b.startsAt);
      return pa ? -d : d;
    });
    const days = new Map<string, SessionSummary[]>();
    for (const s of sorted) {
      const day = new Date(s.startsAt).toLocaleDateString(locale, {
        weekday: 'long',
        day: 'numeric',
        month: 'numeric',
        year: 'numeric',
      });
      days.set(day, [...(days.get(day) ?? []), s]);
    }
    const blocks: HTMLElement[] = [];
    for (const [day, list] of days) {
      const table = el('table', { class: 'board' });
      for (const s of list) {
        const time = `${new Date(s.startsAt).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })}–${new Date(s.endsAt).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })}`;
        const late = s.late.length
          ? el(
              'span',
              { class: 'late' },
              w.get('sessions.late', { steps: s.late.map((l) => w.get(`late.${l}`)).join(', ') }),
            )
          : null;
        const row = el(
          'tr',
          { 'data-session-id': s.id, class: s.late.length ? 'is-late' : '' },
          el('td', {}, time),
          el(
            'td',
            {},
            el('a', { href: `#/s/${encodeURIComponent(s.id)}`, class: 'session-link' }, s.title),
            el(
              'div',
              { class: 'meta' },
              `${s.id} · ${s.points.length} ${w.get('ready.point').toLowerCase()}`,
            ),
          ),
          el(
            'td',
            {},
            el('span', { class: 'badge', 'data-state': s.state }, w.get(`state.${s.state}`)),
          ),
          el('td', {}, late),
        );
        table.append(row);
      }
      blocks.push(el('div', { class: 'day' }, el('h3', {}, day), table));
    }
    agenda.replaceChildren(...blocks);
  }

  async #create(form: HTMLFormElement): Promise<void> {
    const f = formValues(form);
    const points = (f['points'] ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const [id = '', name = '', kind = 'delegate'] = line.split(';').map((x) => x.trim());
        return { id, name, kind: kind === 'central' ? 'central' : 'delegate' };
      });
    try {
      const created = await this.#api.call<{ id: string }>('POST', '/sessions', {
        title: f['title'],
        category: f['category'],
        hostLevel: f['hostLevel'],
        ...(f['chair'] ? { chair: f['chair'] } : {}),
        startsAt: new Date(f['startsAt'] ?? '').toISOString(),
        endsAt: new Date(f['endsAt'] ?? '').toISOString(),
        ...(f['linkMbps'] ? { linkMbps: linkMbpsOf(f['linkMbps']) } : {}),
        ...(points.length ? { points } : {}),
      });
      form.reset();
      location.hash = `#/s/${encodeURIComponent(created.id)}`;
    } catch (err) {
      this.#onError(err);
    }
  }
}
