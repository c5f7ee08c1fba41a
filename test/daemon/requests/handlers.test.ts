// The request handlers, each on its own: last-decision's expiry rule, the status summary and its
// one-line form, and reload-config's mapping of config errors.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../firmware-config/load.js';
import { StatusSummarySchema } from '../../../daemon/mqtt/messages.js';
import { RequestError } from '../../../daemon/requests/dispatcher.js';
import { LastDecisions, lastDecisionHandler } from '../../../daemon/requests/last-decision.js';
import { reloadConfigHandler } from '../../../daemon/requests/reload-config.js';
import { statusLine, summarizeStatus, type StatusInputs } from '../../../daemon/requests/status.js';
import { syntheticDecision } from '../mqtt/mqtt-test-kit.js';

const DEFAULT_THRESHOLD = parseConfig({}).matching.threshold;

const at = (ms: number) => new Date(ms).toISOString();

describe('last-decision', () => {
  it('returns the latest decision for the door until it expires, then null', () => {
    let now = 1_000_000;
    const decisions = new LastDecisions(() => now);
    const handler = lastDecisionHandler(decisions);
    const first = syntheticDecision({ doorId: 'lobby', expiresAt: at(now + 5000) });
    const second = syntheticDecision({ doorId: 'lobby', expiresAt: at(now + 3000), outcome: 'deny' });
    const other = syntheticDecision({ doorId: 'garage', expiresAt: at(now + 60_000) });
    decisions.record(first);
    decisions.record(other);
    expect(handler.handle({ transaction: 't', doorId: 'lobby' })).toBe(first);
    decisions.record(second);
    expect(handler.handle({ transaction: 't', doorId: 'lobby' })).toBe(second);
    now += 2999;
    expect(decisions.forDoor('lobby')).toBe(second);
    now += 1; // expiresAt is exclusive: at that instant the door must not act on it
    expect(decisions.forDoor('lobby')).toBeNull();
    expect(decisions.forDoor('garage')).toBe(other);
    expect(decisions.forDoor('nowhere')).toBeNull();
  });
});

describe('status', () => {
  const calibration = {
    method: 'impostor quantile',
    targetFmr: 0.001,
    galleryTemplates: 40,
    impostorComparisons: 50_000,
    genuineComparisons: 900,
    expectedFnmr: 0.04,
    fmrUpperBound95: 0.0012,
    modelId: 'fr_feature@1',
    calibratedAt: '2025-01-01T00:00:00.000Z',
  };
  const inputs: StatusInputs = {
    applianceId: 'lobby-01',
    startedAt: Date.parse('2025-05-01T10:00:00Z'),
    modelId: 'fr_feature@1',
    galleryTemplates: 40,
    cameras: [
      {
        camera: { id: 'cam-a', doorId: 'lobby' },
        captureState: 'running',
        stats: {
          framesReceived: 100,
          framesAnalysed: 90,
          framesDropped: 10,
          facesSeen: 30,
          facesUsable: 25,
          lastFrameAt: Date.parse('2025-05-01T10:05:00Z'),
          lastAnalysedAt: Date.parse('2025-05-01T10:05:00.050Z'),
          lastAnalysisMs: 48.26,
        },
        restarts: 3,
      },
    ],
    broker: { state: 'connected', url: 'mqtts://user:***@broker:8883', embedded: false },
    outboxDepth: 2,
    matching: parseConfig({ matching: { threshold: 0.47, calibration } }).matching,
  };

  it('summarises the appliance in a payload that matches the published schema', () => {
    const summary = summarizeStatus(inputs, Date.parse('2025-05-01T10:05:01Z'));
    expect(summary).toMatchObject({
      applianceId: 'lobby-01',
      uptimeSeconds: 301,
      modelId: 'fr_feature@1',
      gallery: { templates: 40 },
      cameras: [{ id: 'cam-a', doorId: 'lobby', captureState: 'running', framesDropped: 10, facesUsable: 25, lastFrameAt: '2025-05-01T10:05:00.000Z', lastAnalysisMs: 48.3, restarts: 3 }],
      broker: { state: 'connected', embedded: false },
      outbox: { depth: 2 },
      matching: { threshold: 0.47, targetFmr: 0.001, thresholds: null, calibration },
    });
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(StatusSummarySchema);
    expect(validate(summary), JSON.stringify(validate.errors)).toBe(true);
  });

  it('reports no FMR target when the threshold was set by hand', () => {
    const summary = summarizeStatus({ ...inputs, matching: parseConfig({}).matching }, Date.now());
    expect(summary.matching).toEqual({ threshold: DEFAULT_THRESHOLD, targetFmr: null, thresholds: null, calibration: null });
  });

  it('reports the per-condition thresholds in force', () => {
    const matching = parseConfig({ matching: { threshold: 0.35, thresholds: { masked: 0.31, unmasked: 0.4 } } }).matching;
    expect(summarizeStatus({ ...inputs, matching }, Date.now()).matching.thresholds).toEqual({ masked: 0.31, unmasked: 0.4 });
  });

  it('fits in one line for systemctl status', () => {
    expect(statusLine(summarizeStatus(inputs, Date.now()))).toBe('cameras: cam-a running; broker connected; gallery 40 templates; 2 decisions queued');
    expect(statusLine(summarizeStatus({ ...inputs, cameras: [], outboxDepth: 0 }, Date.now()))).toBe('no cameras; broker connected; gallery 40 templates');
  });
});

describe('reload-config', () => {
  const call = (reload: Parameters<typeof reloadConfigHandler>[0]) => () => reloadConfigHandler(reload).handle({ transaction: 't' });

  it('returns the sections that need a restart', () => {
    expect(call(() => ['mqtt', 'cameras'])()).toEqual({ restartNeeded: ['mqtt', 'cameras'] });
  });

  it('says there is nothing to reload on built-in defaults', () => {
    expect(call(null)).toThrow(expect.objectContaining({ code: 'config_unavailable' }) as Error);
  });

  it('reports an invalid file with its problems, and an unreadable one as unavailable', () => {
    const invalid = call(() => {
      throw new ConfigError('config_invalid', 'Invalid configuration', ['/mqtt/keepaliveSeconds: must be >= 5']);
    });
    expect(invalid).toThrow(RequestError);
    expect(invalid).toThrow(/keepaliveSeconds: must be >= 5.*running config was kept/s);
    expect(invalid).toThrow(expect.objectContaining({ code: 'config_invalid' }) as Error);
    const unreadable = call(() => {
      throw new ConfigError('config_unreadable', 'Cannot read config file /etc/maskgate/config.json: EACCES');
    });
    expect(unreadable).toThrow(expect.objectContaining({ code: 'config_unavailable' }) as Error);
  });

  it('lets unexpected errors through (the dispatcher turns them into internal_error)', () => {
    expect(
      call(() => {
        throw new TypeError('boom');
      }),
    ).toThrow(TypeError);
  });
});
