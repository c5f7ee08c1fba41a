// Loading and validating the config file. The only place that turns untrusted JSON into a
// `Config`; everything else receives a validated object.
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { cameraCaptureProblem } from './camera-capture.js';
import { PACKAGE_ROOT } from './package-root.js';
import { ConfigSchema, type Config, type MqttTlsConfig, type ReplicationConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly code: 'config_unreadable' | 'config_invalid_json' | 'config_invalid',
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length ? `${message}:\n  - ${problems.join('\n  - ')}` : message);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateConfig = ajv.compile<Config>(ConfigSchema);

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown key "${String(error.params['additionalProperty'])}"`;
  }
  return `${where}: ${error.message ?? 'invalid'}`;
}

/** Validates `raw` (a parsed JSON value), filling defaults in a copy. */
export function parseConfig(raw: unknown): Config {
  const copy: unknown = structuredClone(raw ?? {});
  if (!validateConfig(copy)) {
    const problems = (validateConfig.errors ?? [])
      .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if')
      .map(describe);
    throw new ConfigError('config_invalid', 'Invalid configuration', [...new Set(problems)]);
  }
  const crossProblems = crossFieldProblems(copy);
  if (crossProblems.length) throw new ConfigError('config_invalid', 'Invalid configuration', crossProblems);
  return copy;
}

/**
 * Rules JSON Schema cannot express: ids unique within their list, TLS only with a TLS URL, and
 * every camera acceptable to the capture layer exactly as the running daemon will build it.
 */
function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.capture.reconnectMaxDelayMs < config.capture.reconnectInitialDelayMs) {
    problems.push('/capture/reconnectMaxDelayMs: must be >= /capture/reconnectInitialDelayMs');
  } else {
    config.cameras.forEach((camera, i) => {
      const problem = cameraCaptureProblem(camera, config.capture);
      if (problem !== null) problems.push(`/cameras/${i}: ${problem}`);
    });
  }
  const duplicates = (ids: readonly string[]) => [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  for (const id of duplicates(config.cameras.map((c) => c.id))) problems.push(`/cameras: camera id "${id}" is used more than once`);
  for (const id of duplicates(config.doors.map((d) => d.id))) problems.push(`/doors: door id "${id}" is listed more than once`);
  if (config.mqtt.tls && !/^(mqtts|wss):\/\//i.test(config.mqtt.url ?? '')) {
    problems.push('/mqtt/tls: TLS options need an mqtts:// (or wss://) mqtt.url');
  }
  problems.push(...replicationProblems(config));
  return problems;
}

function replicationProblems(config: Config): string[] {
  const { role, siteKeysFile, signingKeyFile, authorityPublicKeyFile, authorityId } = config.replication;
  if (role === 'standalone') return [];
  const problems: string[] = [];
  if (config.mqtt.url === null) problems.push(`/replication: a ${role} needs the site broker (mqtt.url), not the embedded one`);
  if (!siteKeysFile) problems.push(`/replication/siteKeysFile: required for a ${role}`);
  if (role === 'authority' && !signingKeyFile) problems.push('/replication/signingKeyFile: required for the authority');
  if (role === 'replica' && !authorityPublicKeyFile) problems.push('/replication/authorityPublicKeyFile: required for a replica');
  if (role === 'replica' && !authorityId) problems.push('/replication/authorityId: required for a replica');
  if (role === 'replica' && authorityId === config.applianceId) problems.push('/replication/authorityId: a replica cannot be its own authority');
  return problems;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Absolute path of the file, or null when running on embedded defaults. */
  readonly path: string | null;
}

/**
 * Reads a config file. Relative model paths name files in the installation (PACKAGE_ROOT);
 * other relative paths (dataDir, file sources, TLS files) are resolved against `baseDir`
 * (default: the current directory).
 */
export function loadConfigFile(path: string | null, baseDir = process.cwd()): LoadedConfig {
  if (path === null) return { config: configFromObject({}, baseDir), path: null };
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError('config_unreadable', `Cannot read config file ${absolute}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config_invalid_json', `Config file ${absolute} is not valid JSON: ${(err as Error).message}`);
  }
  return { config: resolvePaths(parseConfig(raw), baseDir), path: absolute };
}

/** The PAD model files `model.pad` names: one path, or the list to fuse. */
export function padModelPaths(model: Pick<Config['model'], 'pad'>): string[] {
  return typeof model.pad === 'string' ? [model.pad] : [...model.pad];
}

/** `parseConfig` plus the path resolution of `loadConfigFile`, for configs built in code. */
export function configFromObject(raw: unknown, baseDir = process.cwd()): Config {
  return resolvePaths(parseConfig(raw), baseDir);
}

function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  // Model files ship with the installation: relative model paths name files in it.
  const model = (p: string): string => (isAbsolute(p) ? p : resolve(PACKAGE_ROOT, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    model: { ...config.model, detector: model(config.model.detector), embedder: model(config.model.embedder), pad: typeof config.model.pad === 'string' ? model(config.model.pad) : config.model.pad.map(model), maskClassifier: model(config.model.maskClassifier) },
    cameras: config.cameras.map((c) => ({ ...c, url: isFileSource(c.url) ? abs(c.url) : c.url })),
    mqtt: config.mqtt.tls ? { ...config.mqtt, tls: resolveTlsPaths(config.mqtt.tls, abs) } : config.mqtt,
    replication: resolveReplicationPaths(config.replication, abs),
  };
}

function resolveReplicationPaths(replication: ReplicationConfig, abs: (p: string) => string): ReplicationConfig {
  const { siteKeysFile, signingKeyFile, authorityPublicKeyFile } = replication;
  return {
    ...replication,
    ...(siteKeysFile !== undefined ? { siteKeysFile: abs(siteKeysFile) } : {}),
    ...(signingKeyFile !== undefined ? { signingKeyFile: abs(signingKeyFile) } : {}),
    ...(authorityPublicKeyFile !== undefined ? { authorityPublicKeyFile: abs(authorityPublicKeyFile) } : {}),
  };
}

function resolveTlsPaths(tls: MqttTlsConfig, abs: (p: string) => string): MqttTlsConfig {
  return {
    ...tls,
    ...(tls.caFile !== undefined ? { caFile: abs(tls.caFile) } : {}),
    ...(tls.certFile !== undefined ? { certFile: abs(tls.certFile) } : {}),
    ...(tls.keyFile !== undefined ? { keyFile: abs(tls.keyFile) } : {}),
  };
}

function isFileSource(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/dev/');
}

/**
 * Applies `mutate` to the raw JSON of the file and writes it back atomically (temp file +
 * rename), so a power cut never leaves a half-written config.
 */
export function updateConfigFile(path: string, mutate: (raw: Record<string, unknown>) => void): Config {
  const raw: Record<string, unknown> = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  mutate(raw);
  const validated = parseConfig(raw);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o640 });
  renameSync(tmp, path);
  return validated;
}

const SECRET_KEYS = new Set(['password', 'apiKey', 'token', 'secret']);

/** The effective config with secrets replaced, for `maskgate config print` and logs. */
export function maskSecrets(config: Config): unknown {
  const mask = (value: unknown, key?: string): unknown => {
    if (key && SECRET_KEYS.has(key) && typeof value === 'string') return '********';
    if (key === 'url' && typeof value === 'string') return value.replace(/\/\/([^/@:]+):([^/@]*)@/, '//$1:********@');
    if (Array.isArray(value)) return value.map((v) => mask(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
    }
    return value;
  };
  return mask(config);
}
