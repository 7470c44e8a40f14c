/** A point as the API shows it (a readiness row has the last four fields too). */
export interface ApiPoint {
  id: string;
  pointId: string;
  kind: string;
  name: string;
  organisation: string;
  people: { role: string; name: string }[];
  invitation: { issued: boolean; printed: boolean; used: boolean; locked: boolean };
  tests: Record<string, { grade: string; at: string }>;
  grade: string | null;
  joined: boolean;
}

/**
 * What the operator API answers, read loosely: every field a test may look at, typed as
 * it is when present (a test that expects a field asserts on it, and fails without it).
 */
export interface ApiBody {
  error: { code: string; message: string };
  id: string;
  state: string;
  title: string;
  chair: string;
  revision: number;
  startsAt: string;
  endsAt: string;
  due: { plan: string; invitations: string; testDayBefore: string; testTwoHoursBefore: string };
  late: string[];
  readyOverride: { by: string; reason: string; at: string } | null;
  points: ApiPoint[];
  sessions: ApiBody[];
  live: { workerPid: number | null } | null;
  joinUrl: string;
  login: string;
  password: string;
  expiresAt: string;
  token: string;
  pointId: string;
  [field: string]: unknown;
}

export interface ApiResult {
  status: number;
  /** The parsed JSON, or the text when the answer is not JSON (an invitation). */
  body: ApiBody;
  text: string;
}

/** One request to `/api/v1…` of a server, with an operator's bearer token (or `headers`). */
export async function apiCall(
  baseUrl: string,
  method: string,
  route: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const { body } = options;
  const res = await fetch(`${baseUrl}/api/v1${route}`, {
    method,
    headers: {
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed = {} as ApiBody;
  try {
    parsed = JSON.parse(text) as ApiBody;
  } catch {
    // An invitation (HTML or text), or an empty 204.
  }
  return { status: res.status, body: parsed, text };
}
