import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../daemon/logger.js';
import { RecentErrors } from '../../daemon/recent-errors.js';

const discard = () => new Writable({ write: (_c, _e, done) => done() });

describe('RecentErrors', () => {
  it('keeps error and fatal lines from the logger and its children, newest first, with their component', () => {
    const recent = new RecentErrors(10);
    const logger = createLogger('info', discard(), recent);
    logger.info('fine');
    logger.warn('worrying');
    logger.child({ component: 'camera' }).error({ err: 'ffmpeg exited with code 1' }, 'capture failed');
    logger.fatal(new Error('boom'), 'crashed');
    const list = recent.list();
    expect(list.map((e) => e.message)).toEqual(['crashed', 'capture failed: ffmpeg exited with code 1']);
    expect(list[1]!.component).toBe('camera');
    expect(list[0]!.component).toBeNull();
  });

  it('forgets the oldest beyond its capacity and cuts long messages', () => {
    const recent = new RecentErrors(3);
    for (let k = 0; k < 5; k++) recent.record(null, `error ${k}`);
    expect(recent.list().map((e) => e.message)).toEqual(['error 4', 'error 3', 'error 2']);
    recent.record(null, 'x'.repeat(2000));
    expect(recent.list()[0]!.message).toHaveLength(500);
  });
});
