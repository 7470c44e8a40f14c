/**
 * A delegate point's invitation (Decision 748 art. 6): the session's information, the
 * instructions for the PC, the point's join link and login, the test and rehearsal
 * times, the session's time, and the number and list of points. As HTML for printing and
 * as plain text; Vietnamese, English available. Every text a person typed is escaped.
 */
import type { IssuedCredential } from './Credentials.js';
import type { PlannedPoint } from './plan.js';
import type { SessionView } from './SessionService.js';

export type InvitationLang = 'vi' | 'en';

export interface InvitationInput {
  session: SessionView;
  point: PlannedPoint;
  /** The credential in force; null: none issued yet (the invitation says so). */
  credential: Omit<IssuedCredential, 'token'> | null;
  /** The address of the login page (`…/join`). */
  joinPage: string;
}

const WORDS = {
  vi: {
    heading: 'GIẤY MỜI THAM DỰ BUỔI TIẾP CÔNG DÂN TRỰC TUYẾN',
    to: 'Kính gửi',
    session: 'Thông tin buổi tiếp',
    title: 'Nội dung',
    case: 'Vụ việc',
    category: 'Loại vụ việc (Điều 4 QĐ 748)',
    host: 'Cấp chủ trì',
    chair: 'Người chủ trì',
    time: 'Thời gian tiếp',
    rehearsal: 'Diễn tập',
    tests: 'Kiểm tra kết nối',
    testDay: 'Lần 1 (trước 1 ngày)',
    testTwoHours: 'Lần 2 (trước 2 giờ)',
    points: 'Các điểm cầu',
    count: 'Số điểm cầu',
    central: 'điểm cầu trung tâm',
    people: 'Thành phần dự tại điểm cầu',
    access: 'Truy cập hệ thống',
    link: 'Đường dẫn tham dự',
    page: 'Trang đăng nhập',
    login: 'Tên đăng nhập',
    password: 'Mật khẩu',
    validUntil: 'Hiệu lực đến',
    noCredential:
      'Chưa cấp tài khoản cho điểm cầu này: đề nghị điểm cầu trung tâm cấp trước khi gửi giấy mời.',
    keep: 'Đường dẫn, tên đăng nhập và mật khẩu chỉ dùng cho điểm cầu này; không chia sẻ.',
    guide: 'Hướng dẫn chuẩn bị máy tính',
    steps: [
      'Máy tính dùng trình duyệt Google Chrome, Microsoft Edge hoặc Firefox bản mới.',
      'Có camera, micro và loa (hoặc tai nghe); cho phép trình duyệt dùng camera và micro khi được hỏi.',
      'Đường truyền từ 5 Mbit/s trở lên, ưu tiên mạng cáp; tắt các ứng dụng dùng mạng khác.',
      'Phòng yên tĩnh, đủ ánh sáng; người phát biểu ngồi trước camera.',
      'Mở đường dẫn (hoặc trang đăng nhập), bấm "Kiểm tra kết nối" vào các giờ kiểm tra, rồi "Tham gia" vào giờ tiếp.',
      'Buổi tiếp được ghi hình, ghi âm và lưu trữ tại điểm cầu trung tâm.',
    ],
    categories: {
      a: 'a',
      b: 'b',
      c: 'c',
      d: 'd',
      e: 'e',
      other: 'khác',
    } as Record<string, string>,
    levels: {
      ttcp: 'Thanh tra Chính phủ',
      'ban-tcd': 'Ban Tiếp công dân Trung ương',
      ministry: 'Bộ, ngành',
      province: 'Tỉnh, thành phố',
      district: 'Quận, huyện',
    } as Record<string, string>,
    locale: 'vi-VN',
    none: 'không có',
  },
  en: {
    heading: 'INVITATION TO AN ONLINE CITIZEN RECEPTION SESSION',
    to: 'To',
    session: 'The session',
    title: 'Subject',
    case: 'Case',
    category: 'Category (Decision 748 art. 4)',
    host: 'Host level',
    chair: 'Chaired by',
    time: 'Session time',
    rehearsal: 'Rehearsal',
    tests: 'Connectivity tests',
    testDay: 'First (one day before)',
    testTwoHours: 'Second (two hours before)',
    points: 'Bridge points',
    count: 'Number of bridge points',
    central: 'central point',
    people: 'Expected at this point',
    access: 'Access to the system',
    link: 'Join link',
    page: 'Sign-in page',
    login: 'Login',
    password: 'Password',
    validUntil: 'Valid until',
    noCredential:
      'No login has been issued to this point yet: ask the central point to issue one before sending this invitation.',
    keep: 'The link, login and password are for this point only; do not share them.',
    guide: 'Preparing the PC',
    steps: [
      'Use a current Google Chrome, Microsoft Edge or Firefox.',
      'Have a camera, a microphone and speakers (or a headset); allow the browser to use the camera and microphone when asked.',
      'A link of 5 Mbit/s or more, wired if possible; close other programs that use the network.',
      'A quiet, well-lit room; whoever speaks sits in front of the camera.',
      'Open the link (or the sign-in page), press "Connectivity test" at the test times, then "Join" at the session time.',
      'The session is recorded, picture and sound, and archived at the central point.',
    ],
    categories: { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', other: 'other' } as Record<
      string,
      string
    >,
    levels: {
      ttcp: 'Government Inspectorate',
      'ban-tcd': 'Central Citizen Reception Committee',
      ministry: 'Ministry',
      province: 'Province or city',
      district: 'District',
    } as Record<string, string>,
    locale: 'en-GB',
    none: 'none',
  },
} as const;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The invitation's content, as label/value lines and lists, before it is formatted. */
function content(input: InvitationInput, lang: InvitationLang) {
  const w = WORDS[lang];
  const { session: s, point: p, credential: c } = input;
  const when = (iso: string | null): string =>
    iso === null
      ? w.none
      : new Intl.DateTimeFormat(w.locale, {
          dateStyle: 'full',
          timeStyle: 'short',
          timeZone: 'Asia/Ho_Chi_Minh',
        }).format(new Date(iso));
  return {
    w,
    to: `${p.name}${p.organisation ? ` — ${p.organisation}` : ''}`,
    info: [
      [w.title, s.title],
      [w.case, s.caseSummary || w.none],
      [w.category, w.categories[s.category] ?? s.category],
      [w.host, w.levels[s.hostLevel] ?? s.hostLevel],
      [w.chair, s.chair || w.none],
      [w.time, `${when(s.startsAt)} – ${when(s.endsAt)}`],
      [w.rehearsal, when(s.rehearsalAt)],
      [w.testDay, when(s.due.testDayBefore)],
      [w.testTwoHours, when(s.due.testTwoHoursBefore)],
    ] as [string, string][],
    points: s.points.map((x) => `${x.name}${x.kind === 'central' ? ` (${w.central})` : ''}`),
    people: p.people.map((x) => `${x.role}${x.name ? `: ${x.name}` : ''}`),
    access: c
      ? ([
          [w.link, c.joinUrl],
          [w.page, input.joinPage],
          [w.login, c.login],
          [w.password, c.password],
          [w.validUntil, when(c.expiresAt)],
        ] as [string, string][])
      : null,
  };
}

export function invitationText(input: InvitationInput, lang: InvitationLang): string {
  const { w, to, info, points, people, access } = content(input, lang);
  const lines = [w.heading, '', `${w.to}: ${to}`, '', `${w.session}:`];
  lines.push(...info.map(([k, v]) => `  ${k}: ${v}`));
  lines.push(
    '',
    `${w.points} (${w.count}: ${points.length}):`,
    ...points.map((x, i) => `  ${i + 1}. ${x}`),
  );
  if (people.length > 0) {
    lines.push('', `${w.people}:`, ...people.map((x) => `  - ${x}`));
  }
  lines.push('', `${w.access}:`);
  if (access) {
    lines.push(...access.map(([k, v]) => `  ${k}: ${v}`), `  ${w.keep}`);
  } else {
    lines.push(`  ${w.noCredential}`);
  }
  lines.push('', `${w.guide}:`, ...w.steps.map((x, i) => `  ${i + 1}. ${x}`), '');
  return lines.join('\n');
}

export function invitationHtml(input: InvitationInput, lang: InvitationLang): string {
  const { w, to, info, points, people, access } = content(input, lang);
  const e = escapeHtml;
  const rows = (pairs: [string, string][]): string =>
    pairs.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>${e(w.heading)} — ${e(input.point.name)}</title>
<style>
body { font-family: "Times New Roman", serif; max-width: 46em; margin: 2em auto; line-height: 1.4; }
h1 { font-size: 1.3em; text-align: center; }
h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; width: 14em; vertical-align: top; padding: .2em .6em .2em 0; }
td { padding: .2em 0; word-break: break-all; }
.secret td { font-family: monospace; font-size: 1.1em; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>${e(w.heading)}</h1>
<p><strong>${e(w.to)}:</strong> ${e(to)}</p>
<h2>${e(w.session)}</h2>
<table>
${rows(info)}
</table>
<h2>${e(w.points)} (${e(w.count)}: ${points.length})</h2>
<ol>
${points.map((x) => `<li>${e(x)}</li>`).join('\n')}
</ol>
${people.length > 0 ? `<h2>${e(w.people)}</h2>\n<ul>\n${people.map((x) => `<li>${e(x)}</li>`).join('\n')}\n</ul>` : ''}
<h2>${e(w.access)}</h2>
${access ? `<table class="secret">\n${rows(access)}\n</table>\n<p>${e(w.keep)}</p>` : `<p>${e(w.noCredential)}</p>`}
<h2>${e(w.guide)}</h2>
<ol>
${w.steps.map((x) => `<li>${e(x)}</li>`).join('\n')}
</ol>
</body>
</html>
`;
}
