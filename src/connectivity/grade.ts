/**
 * Grades a connectivity test against its link class's thresholds (config
 * `connectivity.<class>`, docs/connectivity.md) and says, in the clerk's words, what is
 * wrong and what to do. Pure: the same figures always give the same grade.
 */
import type {
  ClientFigures,
  Finding,
  FindingCode,
  Grade,
  ServerFigures,
} from '../../protocol/connectivity.js';
import type { LinkThresholds } from '../config/schema.js';

const MESSAGES: Record<FindingCode, { vi: string; en: string }> = {
  'upstream-slow': {
    vi: 'Mạng tải lên chậm: hình và tiếng của điểm cầu có thể bị giật. Hãy tắt các máy khác đang dùng mạng hoặc dùng đường truyền khác.',
    en: 'Slow upload: this point’s picture and sound may stutter. Stop other computers using the link, or use another connection.',
  },
  'downstream-slow': {
    vi: 'Mạng tải xuống chậm: hình các điểm cầu khác có thể bị mờ hoặc giật. Hãy tắt các máy khác đang dùng mạng.',
    en: 'Slow download: the other points’ pictures may be blurred or stutter. Stop other computers using the link.',
  },
  'loss-up': {
    vi: 'Mạng mất gói khi gửi đi: hình và tiếng gửi đi bị rời rạc. Hãy dùng cáp mạng thay cho Wi-Fi, hoặc liên hệ bộ phận kỹ thuật.',
    en: 'Packets lost on the way out: what this point sends breaks up. Use a cable instead of Wi-Fi, or call the technical staff.',
  },
  'loss-down': {
    vi: 'Mạng mất gói khi nhận về: hình và tiếng nhận được bị rời rạc. Hãy dùng cáp mạng thay cho Wi-Fi, hoặc liên hệ bộ phận kỹ thuật.',
    en: 'Packets lost on the way in: what this point receives breaks up. Use a cable instead of Wi-Fi, or call the technical staff.',
  },
  'rtt-high': {
    vi: 'Độ trễ mạng cao: lời nói đến chậm, khó đối thoại. Hãy liên hệ bộ phận kỹ thuật.',
    en: 'High delay: speech arrives late and conversation is hard. Call the technical staff.',
  },
  'jitter-high': {
    vi: 'Mạng không ổn định (độ trễ dao động): tiếng có thể bị ngắt quãng.',
    en: 'Unsteady network (varying delay): sound may break up.',
  },
  'tcp-only': {
    vi: 'Chỉ kết nối được qua TCP (UDP bị chặn): chất lượng kém hơn khi mạng chậm. Hãy đề nghị mở cổng UDP của máy chủ.',
    en: 'Connected over TCP only (UDP is blocked): quality suffers on a slow link. Ask for the server’s UDP port to be opened.',
  },
  'no-camera': {
    vi: 'Không tìm thấy camera hoặc trình duyệt không được phép dùng camera.',
    en: 'No camera found, or the browser may not use it.',
  },
  'camera-black': {
    vi: 'Camera không có hình (màn hình đen): hãy kiểm tra nắp che, dây cắm hoặc chọn camera khác.',
    en: 'The camera shows no picture (black): check its cover and cable, or choose another camera.',
  },
  'no-microphone': {
    vi: 'Không tìm thấy micro hoặc trình duyệt không được phép dùng micro.',
    en: 'No microphone found, or the browser may not use it.',
  },
  'microphone-silent': {
    vi: 'Không có tiếng micro: hãy kiểm tra micro đã bật, đã cắm đúng, và nói thử khi kiểm tra.',
    en: 'No sound from the microphone: check it is switched on and plugged in, and speak during the test.',
  },
  'no-video-back': {
    vi: 'Không nhận lại được hình qua máy chủ: đường truyền hình ảnh không hoạt động.',
    en: 'No picture came back through the server: the media path does not work.',
  },
  'no-media': {
    vi: 'Không gửi được hình và tiếng đến máy chủ: mạng hoặc tường lửa chặn đường truyền.',
    en: 'No picture or sound reached the server: the network or a firewall blocks the media path.',
  },
};

export function finding(
  code: FindingCode,
  grade: 'warn' | 'fail',
  value: number | null = null,
  limit: number | null = null,
): Finding {
  return { code, grade, value, limit, message: MESSAGES[code] };
}

/** At least `pass` passes, at least `warn` warns, less fails. */
function atLeast(code: FindingCode, value: number, pass: number, warn: number): Finding | null {
  if (value >= pass) {
    return null;
  }
  return value >= warn ? finding(code, 'warn', value, pass) : finding(code, 'fail', value, warn);
}

/** At most `pass` passes, at most `warn` warns, more fails. */
function atMost(
  code: FindingCode,
  value: number | null,
  pass: number,
  warn: number,
): Finding | null {
  if (value === null || value <= pass) {
    return null;
  }
  return value <= warn ? finding(code, 'warn', value, pass) : finding(code, 'fail', value, warn);
}

const round = (x: number): number => Math.round(x * 10) / 10;

export function gradeTest(
  client: ClientFigures,
  server: ServerFigures,
  limits: LinkThresholds,
): { grade: Grade; findings: Finding[] } {
  const findings: (Finding | null)[] = [];
  if (server.recvKbps < 1 && client.upKbps < 1) {
    findings.push(finding('no-media', 'fail', 0, null));
  } else {
    // What the link carried, or what the congestion controller found it could carry:
    // a camera filming a still room sends less than its link allows.
    // What the SFU received is measured on the server; the page's own figure may only
    // add its congestion controller's estimate, and only when media did arrive.
    const up = Math.max(
      Math.min(client.upKbps, server.recvKbps * 1.25 + 50),
      server.recvKbps > 0 ? (client.availableOutgoingKbps ?? 0) : 0,
    );
    findings.push(atLeast('upstream-slow', round(up), limits.upPassKbps, limits.upWarnKbps));
    // The test receives what the camera sends: a camera filming a still room sends
    // less than a session could. If the SFU held no copy back below the layer it was
    // asked for and the copies arrived (loss is graded on its own), the link carried
    // all the session would send it, whatever the figure.
    const down = Math.max(client.downKbps, server.availableOutgoingKbps ?? 0);
    findings.push(
      server.videoLayersHeldBack === 0 && client.videoCopiesDecoding === client.videoCopies
        ? null
        : atLeast('downstream-slow', round(down), limits.downPassKbps, limits.downWarnKbps),
    );
    findings.push(atMost('loss-up', client.upLossPct, limits.lossPassPct, limits.lossWarnPct));
    findings.push(atMost('loss-down', client.downLossPct, limits.lossPassPct, limits.lossWarnPct));
    findings.push(atMost('rtt-high', client.rttMs, limits.rttPassMs, limits.rttWarnMs));
    const jitter = Math.max(client.upJitterMs ?? 0, client.downJitterMs ?? 0);
    findings.push(atMost('jitter-high', round(jitter), limits.jitterPassMs, limits.jitterWarnMs));
    if (client.videoCopiesDecoding === 0 && client.camera.found) {
      findings.push(finding('no-video-back', 'fail', 0, client.videoCopies));
    }
  }
  if (server.protocol === 'tcp' || client.transport === 'tcp') {
    findings.push(finding('tcp-only', 'warn'));
  }
  if (!client.camera.found) {
    findings.push(finding('no-camera', 'fail'));
  } else if (!client.camera.picture) {
    findings.push(finding('camera-black', 'fail', client.camera.meanLuma, null));
  }
  if (!client.microphone.found) {
    findings.push(finding('no-microphone', 'fail'));
  } else if (!client.microphone.sound) {
    findings.push(finding('microphone-silent', 'fail', client.microphone.peakDb, null));
  }
  const kept = findings.filter((f): f is Finding => f !== null);
  const grade: Grade = kept.some((f) => f.grade === 'fail')
    ? 'fail'
    : kept.length > 0
      ? 'warn'
      : 'pass';
  return { grade, findings: kept };
}
