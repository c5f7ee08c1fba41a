// Console sessions: an API key, presented once at sign-in, becomes a random session id held in
// an HttpOnly cookie, so the key itself never sits in browser storage where a script could read
// it. Each session carries its own CSRF token (double submit, bound to the session): a write
// must echo it in a header, which a cross-site form or image cannot do.
//
// Sessions live in memory only: a restart signs everyone out, which is the safe direction, and
// nothing about a session reaches the disk.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '../../store/api-keys-repository.js';

export interface Session {
  /** The key the session was opened with; its role decides what the session may do. */
  readonly keyId: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** 256 random bits, URL-safe: neither guessable nor enumerable. */
function token(): string {
  return randomBytes(32).toString('base64url');
}

/** Session ids are kept hashed, so a heap dump does not hand out live sessions. */
function digest(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export function sameToken(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SessionStoreOptions {
  /** How long a session lasts from sign-in (absolute: a stolen cookie does not live forever). */
  readonly ttlMs: number;
  /** Most open sessions; the oldest is dropped beyond it (memory stays bounded under abuse). */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions) {
    this.ttlMs = options.ttlMs;
    this.maxSessions = options.maxSessions ?? 1000;
    this.now = options.now ?? Date.now;
  }

  get ttl(): number {
    return this.ttlMs;
  }

  /** Opens a session for `key`; returns the id (for the cookie) and the session. */
  open(key: Pick<ApiKeyRecord, 'id'>): { id: string; session: Session } {
    this.prune();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    const id = token();
    const createdAt = this.now();
    const session: Session = { keyId: key.id, csrfToken: token(), createdAt, expiresAt: createdAt + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, or null (unknown, expired or closed). */
  get(id: string): Session | null {
    const hashed = digest(id);
    const session = this.sessions.get(hashed);
    if (!session) return null;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(hashed);
      return null;
    }
    return session;
  }

  close(id: string): boolean {
    return this.sessions.delete(digest(id));
  }

  get size(): number {
    this.prune();
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [hashed, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(hashed);
  }
}
