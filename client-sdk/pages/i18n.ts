/** The delegate page's words, Vietnamese first. */
export type Lang = 'vi' | 'en';

const vi = {
  title: 'Tiếp công dân trực tuyến',
  'state.label': 'Kết nối',
  'precheck.title': 'Kiểm tra thiết bị',
  'precheck.camera': 'Camera',
  'precheck.mic': 'Micro',
  'precheck.join': 'Tham gia',
  'precheck.ok': 'sẵn sàng',
  'precheck.failed': 'không dùng được',
  'controls.leave': 'Rời phiên',
  'controls.micOn': 'Tắt micro',
  'controls.micOff': 'Bật micro',
  'controls.cameraOn': 'Tắt camera',
  'controls.cameraOff': 'Bật camera',
  'controls.screenOn': 'Dừng chia sẻ màn hình',
  'controls.screenOff': 'Chia sẻ màn hình',
  'controls.endSession': 'Kết thúc phiên',
  'confirm.endSession': 'Kết thúc phiên tiếp cho mọi điểm cầu? Không thể mở lại.',
  'controls.lock': 'Khoá phiên',
  'controls.unlock': 'Mở khoá phiên',
  'controls.recordStart': 'Bắt đầu ghi hình',
  'controls.recordStop': 'Dừng ghi hình',
  'controls.localRecordStart': 'Ghi tại máy này',
  'controls.localRecordStop': 'Dừng ghi tại máy này',
  'localRecording.on': 'Đang ghi tại máy này',
  'recording.on': 'Đang ghi hình',
  'recording.alarm':
    'Cảnh báo: ổ đĩa lưu trữ gần đầy ({free} MiB trống, tối thiểu {min} MiB). Đã dừng ghi hình an toàn; hãy giải phóng dung lượng rồi bật ghi hình lại.',
  'tile.you': '(bạn)',
  'tile.central': 'Điểm cầu trung tâm',
  'tile.muted': 'Đã tắt tiếng',
  'tile.reconnecting': 'Đang kết nối lại',
  'tile.mute': 'Tắt tiếng điểm cầu',
  'tile.unmute': 'Bật tiếng điểm cầu',
  'tile.spotlight': 'Ghim',
  'tile.unspotlight': 'Bỏ ghim',
  'tile.remove': 'Mời rời phiên',
  'tile.screen': 'Màn hình của',
  'banner.mutedByOperator': 'Chủ trì đã tắt micro của điểm cầu này.',
  'banner.locked': 'Phiên đã khoá: không nhận thêm điểm cầu mới.',
  'banner.kicked': 'Điểm cầu này đã được mời rời phiên.',
  'banner.left': 'Bạn đã rời phiên.',
  'state.connecting': 'đang kết nối',
  'state.connected': 'đã kết nối',
  'state.reconnecting': 'đang kết nối lại',
  'state.closed': 'đã đóng',
  'error.noToken': 'Thiếu mã mời (token) trong đường dẫn.',
  'signin.title': 'Đăng nhập điểm cầu',
  'signin.help': 'Nhập tên đăng nhập và mật khẩu ghi trong giấy mời.',
  'signin.login': 'Tên đăng nhập',
  'signin.password': 'Mật khẩu',
  'signin.submit': 'Đăng nhập',
  'signin.DC_ERR_LOGIN_FAILED': 'Sai tên đăng nhập hoặc mật khẩu.',
  'signin.DC_ERR_LOGIN_LOCKED':
    'Nhập sai quá nhiều lần: tài khoản tạm khoá 15 phút. Liên hệ điểm cầu trung tâm nếu cần.',
  'signin.DC_ERR_TOKEN_EXPIRED': 'Tài khoản này đã hết hạn.',
  'signin.failed': 'Không đăng nhập được. Thử lại sau.',
  'precheck.session': 'Phiên: {title}, bắt đầu {time}',
  'precheck.notOpen':
    'Phiên chưa mở. Có thể kiểm tra thiết bị; chỉ tham gia được khi điểm cầu trung tâm mở phiên.',
  'link.DC_ERR_CREDENTIAL_REVOKED': 'Đường dẫn này đã bị thu hồi hoặc thay bằng đường dẫn mới.',
  'link.DC_ERR_SESSION_ENDED': 'Phiên này đã kết thúc.',
  'link.DC_ERR_SESSION_NOT_FOUND': 'Không có phiên này trên máy chủ.',
  'error.DC_ERR_SESSION_NOT_OPEN':
    'Phiên chưa mở: chờ điểm cầu trung tâm mở phiên rồi bấm Tham gia.',
  'error.DC_ERR_SESSION_ENDED': 'Phiên đã kết thúc.',
  'error.DC_ERR_CREDENTIAL_REVOKED': 'Đường dẫn đã bị thu hồi: xin điểm cầu trung tâm cấp lại.',
  'ended.title': 'Phiên đã kết thúc',
  'ended.text': 'Điểm cầu trung tâm đã kết thúc phiên. Cảm ơn quý vị đã tham dự.',
  'link.title': 'Không mở được phiên từ đường dẫn này',
  'link.DC_ERR_TOKEN_MISSING': 'Đường dẫn này không có mã mời.',
  'link.DC_ERR_TOKEN_EXPIRED': 'Đường dẫn mời đã hết hạn.',
  'link.DC_ERR_TOKEN_INVALID':
    'Đường dẫn mời không đúng: có thể đã bị cắt mất một phần khi sao chép, hoặc đã được cấp lại.',
  'link.DC_ERR_TOKEN_WRONG_SESSION': 'Đường dẫn mời này dành cho một phiên khác.',
  'link.DC_ERR_CONNECT_FAILED': 'Không kết nối được máy chủ của điểm cầu trung tâm.',
  'link.action':
    'Hãy mở lại đúng đường dẫn trong thư mời, hoặc liên hệ điểm cầu trung tâm để được cấp đường dẫn mới.',
  'link.action.network':
    'Hãy kiểm tra kết nối mạng rồi tải lại trang; nếu vẫn không được, liên hệ điểm cầu trung tâm.',
  'test.start': 'Kiểm tra kết nối',
  'test.again': 'Kiểm tra lại',
  'test.help':
    'Gửi hình và tiếng của điểm cầu qua máy chủ và nhận lại, như khi họp thật, trong khoảng 20 giây.',
  'test.step.devices': 'Đang mở camera và micro…',
  'test.step.connecting': 'Đang kết nối tới máy chủ…',
  'test.step.measuring': 'Đang đo đường truyền…',
  'test.step.grading': 'Đang đánh giá…',
  'test.grade.pass': 'Đạt: kết nối đủ tốt cho phiên tiếp.',
  'test.grade.warn': 'Cần lưu ý: phiên vẫn diễn ra được nhưng chất lượng có thể kém.',
  'test.grade.fail': 'Không đạt: cần khắc phục trước phiên tiếp.',
  'test.slot.day-before': 'lần kiểm tra trước 1 ngày',
  'test.slot.two-hours-before': 'lần kiểm tra trước 2 giờ',
  'test.slot.adhoc': 'kiểm tra ngoài lịch',
  'test.savedAs': 'Đã lưu: {slot}, lúc {time}.',
  'test.figure.up': 'Tải lên',
  'test.figure.down': 'Tải xuống',
  'test.figure.rtt': 'Độ trễ khứ hồi',
  'test.figure.loss': 'Mất gói (gửi / nhận)',
  'test.figure.jitter': 'Dao động trễ (gửi / nhận)',
  'test.figure.transport': 'Giao thức',
  'test.figure.video': 'Hình nhận lại',
  'test.figure.browser': 'Trình duyệt',
  'test.failed': 'Không chạy được phép kiểm tra: {error}',
  'consent.text':
    'Phiên tiếp công dân được ghi âm, ghi hình tại điểm cầu trung tâm và lưu trữ theo quy định.',
  'consent.ack': 'Tôi đã được thông báo việc ghi âm, ghi hình',
  'layout.toStage': 'Xem người đang nói',
  'layout.toGrid': 'Xem tất cả như nhau',
  'layout.hint': 'Đổi cách sắp xếp hình các điểm cầu',
  'quality.excellent': 'Đường truyền tốt',
  'quality.good': 'Đường truyền khá',
  'quality.poor': 'Đường truyền kém',
  'quality.lost': 'Mất kết nối',
  'quality.figures': '{grade}: mất gói {loss} %, độ trễ {rtt} ms, gửi {kbps} kbit/s',
  'tile.actionOn': '{action}: {name}',
  'precheck.invitedAs': 'Điểm cầu: {name}',
  'left.title': 'Bạn đã rời phiên',
  'left.text': 'Có thể tham gia lại bất cứ lúc nào trong thời gian diễn ra phiên.',
  'left.rejoin': 'Tham gia lại',
  'removed.title': 'Điểm cầu đã được mời rời phiên',
  'removed.text':
    'Chủ trì đã mời điểm cầu này rời phiên. Nếu cần tham gia lại, xin liên hệ điểm cầu trung tâm.',
  'closed.title': 'Đã ngắt khỏi phiên',
  'closed.text': 'Kết nối tới phiên đã kết thúc.',
  'confirm.remove': 'Mời điểm cầu «{name}» rời phiên? Điểm cầu sẽ không tham gia lại được.',
  'recording.problem': 'Sự cố ghi hình ({point}): {detail}',
  'error.DC_ERR_TOKEN_EXPIRED': 'Mã mời đã hết hạn. Xin liên hệ điểm cầu trung tâm.',
  'error.DC_ERR_TOKEN_INVALID': 'Mã mời không hợp lệ.',
  'error.DC_ERR_DISK_LOW':
    'Ổ đĩa lưu trữ gần đầy: hãy giải phóng dung lượng trước khi ghi hình lại.',
  'error.DC_ERR_SESSION_LOCKED': 'Phiên đã khoá, không nhận thêm điểm cầu.',
  'error.DC_ERR_POINT_REMOVED': 'Điểm cầu này đã được mời rời phiên.',
  'error.DC_ERR_MUTED_BY_OPERATOR': 'Chủ trì đã tắt micro; chỉ chủ trì bật lại được.',
};

const en: typeof vi = {
  title: 'Online citizen reception',
  'state.label': 'Connection',
  'precheck.title': 'Device check',
  'precheck.camera': 'Camera',
  'precheck.mic': 'Microphone',
  'precheck.join': 'Join',
  'precheck.ok': 'ready',
  'precheck.failed': 'not available',
  'controls.leave': 'Leave',
  'controls.micOn': 'Mute microphone',
  'controls.micOff': 'Unmute microphone',
  'controls.cameraOn': 'Turn camera off',
  'controls.cameraOff': 'Turn camera on',
  'controls.screenOn': 'Stop sharing screen',
  'controls.screenOff': 'Share screen',
  'controls.endSession': 'End the session',
  'confirm.endSession': 'End the session for every point? It cannot be reopened.',
  'controls.lock': 'Lock session',
  'controls.unlock': 'Unlock session',
  'controls.recordStart': 'Start recording',
  'controls.recordStop': 'Stop recording',
  'controls.localRecordStart': 'Record on this PC',
  'controls.localRecordStop': 'Stop recording on this PC',
  'localRecording.on': 'Recording on this PC',
  'recording.on': 'Recording',
  'recording.alarm':
    'Alarm: the archive disk is almost full ({free} MiB free, minimum {min} MiB). Recording was stopped safely; free some space, then start recording again.',
  'tile.you': '(you)',
  'tile.central': 'Central point',
  'tile.muted': 'Muted',
  'tile.reconnecting': 'Reconnecting',
  'tile.mute': 'Mute this point',
  'tile.unmute': 'Unmute this point',
  'tile.spotlight': 'Spotlight',
  'tile.unspotlight': 'Unpin',
  'tile.remove': 'Remove',
  'tile.screen': 'Screen of',
  'banner.mutedByOperator': 'The chair has muted this bridge point.',
  'banner.locked': 'The session is locked: no new bridge points may join.',
  'banner.kicked': 'This bridge point was removed from the session.',
  'banner.left': 'You left the session.',
  'state.connecting': 'connecting',
  'state.connected': 'connected',
  'state.reconnecting': 'reconnecting',
  'state.closed': 'closed',
  'error.noToken': 'The link has no invitation token.',
  'signin.title': 'Bridge point sign-in',
  'signin.help': 'Enter the login and password given in your invitation.',
  'signin.login': 'Login',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.DC_ERR_LOGIN_FAILED': 'Wrong login or password.',
  'signin.DC_ERR_LOGIN_LOCKED':
    'Too many wrong tries: this login is locked for 15 minutes. Call the central point if needed.',
  'signin.DC_ERR_TOKEN_EXPIRED': 'This login has expired.',
  'signin.failed': 'Could not sign in. Try again later.',
  'precheck.session': 'Session: {title}, starting {time}',
  'precheck.notOpen':
    'The session is not open yet. You can check your devices; you can join once the central point opens it.',
  'link.DC_ERR_CREDENTIAL_REVOKED': 'This link was revoked or replaced by a new one.',
  'link.DC_ERR_SESSION_ENDED': 'This session has ended.',
  'link.DC_ERR_SESSION_NOT_FOUND': 'This session is not on the server.',
  'error.DC_ERR_SESSION_NOT_OPEN':
    'The session is not open yet: wait for the central point to open it, then press Join.',
  'error.DC_ERR_SESSION_ENDED': 'The session has ended.',
  'error.DC_ERR_CREDENTIAL_REVOKED': 'The link was revoked: ask the central point for a new one.',
  'ended.title': 'The session has ended',
  'ended.text': 'The central point has ended the session. Thank you for taking part.',
  'link.title': 'This link cannot open the session',
  'link.DC_ERR_TOKEN_MISSING': 'This link has no invitation code.',
  'link.DC_ERR_TOKEN_EXPIRED': 'The invitation link has expired.',
  'link.DC_ERR_TOKEN_INVALID':
    'The invitation link is not right: part of it may have been lost when it was copied, or it was issued again.',
  'link.DC_ERR_TOKEN_WRONG_SESSION': 'This invitation link is for another session.',
  'link.DC_ERR_CONNECT_FAILED': "The central point's server cannot be reached.",
  'link.action':
    'Open the link exactly as it is in the invitation, or ask the central point for a new one.',
  'link.action.network':
    'Check the network and reload the page; if it still fails, contact the central point.',
  'test.start': 'Test the connection',
  'test.again': 'Test again',
  'test.help':
    'Sends this point’s picture and sound through the server and back, as in a real session, for about 20 seconds.',
  'test.step.devices': 'Opening the camera and microphone…',
  'test.step.connecting': 'Connecting to the server…',
  'test.step.measuring': 'Measuring the link…',
  'test.step.grading': 'Grading…',
  'test.grade.pass': 'Pass: the connection is good enough for the session.',
  'test.grade.warn': 'Warning: the session can run, but quality may suffer.',
  'test.grade.fail': 'Fail: fix this before the session.',
  'test.slot.day-before': 'the day-before test',
  'test.slot.two-hours-before': 'the two-hours-before test',
  'test.slot.adhoc': 'an unscheduled test',
  'test.savedAs': 'Saved as {slot}, at {time}.',
  'test.figure.up': 'Upload',
  'test.figure.down': 'Download',
  'test.figure.rtt': 'Round trip',
  'test.figure.loss': 'Packet loss (out / in)',
  'test.figure.jitter': 'Jitter (out / in)',
  'test.figure.transport': 'Protocol',
  'test.figure.video': 'Pictures back',
  'test.figure.browser': 'Browser',
  'test.failed': 'The test could not run: {error}',
  'consent.text':
    'This citizen reception session is recorded, sound and picture, at the central point and archived as the law requires.',
  'consent.ack': 'I have been told the session is recorded',
  'layout.toStage': 'Speaker view',
  'layout.toGrid': 'Grid view',
  'layout.hint': 'Change how the bridge points are laid out',
  'quality.excellent': 'Good connection',
  'quality.good': 'Fair connection',
  'quality.poor': 'Poor connection',
  'quality.lost': 'Connection lost',
  'quality.figures': '{grade}: loss {loss} %, delay {rtt} ms, sending {kbps} kbit/s',
  'tile.actionOn': '{action}: {name}',
  'precheck.invitedAs': 'Bridge point: {name}',
  'left.title': 'You left the session',
  'left.text': 'You can join again at any time while the session runs.',
  'left.rejoin': 'Join again',
  'removed.title': 'This bridge point was removed from the session',
  'removed.text':
    'The chair removed this bridge point from the session. To join again, contact the central point.',
  'closed.title': 'Disconnected from the session',
  'closed.text': 'The connection to the session has ended.',
  'confirm.remove': 'Remove the bridge point «{name}» from the session? It cannot join again.',
  'recording.problem': 'Recording problem ({point}): {detail}',
  'error.DC_ERR_TOKEN_EXPIRED': 'The invitation has expired. Please contact the central point.',
  'error.DC_ERR_TOKEN_INVALID': 'The invitation is not valid.',
  'error.DC_ERR_DISK_LOW':
    'The archive disk is almost full: free some space before recording again.',
  'error.DC_ERR_SESSION_LOCKED': 'The session is locked and admits no new bridge points.',
  'error.DC_ERR_POINT_REMOVED': 'This bridge point was removed from the session.',
  'error.DC_ERR_MUTED_BY_OPERATOR': 'The chair muted this point; only the chair can unmute it.',
};

export type Key = keyof typeof vi;
const dictionaries: Record<Lang, typeof vi> = { vi, en };

export function translate(lang: Lang, key: string): string {
  return (dictionaries[lang] as Record<string, string>)[key] ?? key;
}

/**
 * The page's language, chosen by `?lang=`, then what this PC chose before, then
 * Vietnamese; the parts of the page ask it for their words.
 */
export class Translator {
  #lang: Lang;
  readonly #listeners = new Set<() => void>();

  constructor(requested: string | null) {
    this.#lang = requested === 'en' ? 'en' : 'vi';
  }

  get lang(): Lang {
    return this.#lang;
  }

  get(key: string): string {
    return translate(this.#lang, key);
  }

  set(lang: Lang): void {
    this.#lang = lang;
    for (const listener of this.#listeners) {
      listener();
    }
  }

  /** Called after each change of language. */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** Every `[data-i18n]` element's text, and the language buttons' state. */
  applyToDocument(): void {
    document.documentElement.lang = this.#lang;
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
      el.textContent = this.get(el.dataset['i18n'] as string);
    }
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
      button.setAttribute('aria-pressed', String(button.dataset['lang'] === this.#lang));
    }
  }
}
