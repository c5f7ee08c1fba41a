// The console's one door to the appliance: same-origin fetches carrying the session cookie, the
// CSRF token on every write, and errors turned into ApiFailure with the API's stable code.
export interface Session {
  readonly keyName: string;
  readonly role: 'admin' | 'read-only';
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let session: Session | null = null;
let onSignedOut: () => void = () => {};

export function currentSession(): Session | null {
  return session;
}

export function canChange(): boolean {
  return session?.role === 'admin';
}

/** Called when the appliance says the session is gone (expired, signed out elsewhere, key revoked). */
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

async function failure(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    return new ApiFailure(response.status, body.error?.code ?? 'unknown', body.error?.message ?? response.statusText, body.error?.details);
  } catch {
    return new ApiFailure(response.status, 'unknown', response.statusText || `HTTP ${response.status}`);
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrfToken;
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401 && session) {
      session = null;
      onSignedOut();
    }
    throw error;
  }
  return (response.status === 204 ? null : await response.json()) as T;
}

export async function signIn(apiKey: string): Promise<Session> {
  session = await request<Session>('POST', '/session', { apiKey });
  return session;
}

/** The session of a reloaded page, if its cookie is still good. */
export async function resume(): Promise<Session | null> {
  try {
    session = await request<Session>('GET', '/session');
  } catch {
    session = null;
  }
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/session');
  } finally {
    session = null;
  }
}

export function describe(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
