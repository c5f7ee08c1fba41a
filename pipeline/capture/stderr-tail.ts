// Keeps the last few lines ffmpeg wrote to stderr, bounded in memory however chatty a broken
// stream makes it, so that an error can say *why* in ffmpeg's own words.
import type { CredentialMasker } from './mask-credentials.js';

const MAX_LINE_CHARS = 400;

export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines = 20,
    private readonly mask: CredentialMasker = (text) => text,
  ) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = clip(parts.pop() ?? '');
    for (const part of parts) this.addLine(part);
  }

  /** The retained lines, oldest first, credentials masked; includes an unterminated last line. */
  snapshot(count = this.maxLines): string[] {
    const all = this.partial.trim().length > 0 ? [...this.lines, this.partial.trim()] : [...this.lines];
    return all.slice(-count).map((line) => this.mask(line));
  }

  private addLine(line: string): void {
    const trimmed = line.trim();
    if (trimmed.length === 0) return;
    this.lines.push(clip(trimmed));
    if (this.lines.length > this.maxLines) this.lines.shift();
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}
