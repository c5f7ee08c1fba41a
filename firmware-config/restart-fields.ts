// Which config changes a reload cannot apply, derived from the schema's `requiresRestart`
// markers (as Zigbee2MQTT's settings schema does), so a new restart-only field is declared once,
// where it is defined, and the reload path follows.
import { ConfigSchema, type Config } from './schema.js';

interface SchemaNode {
  readonly requiresRestart?: boolean;
  readonly properties?: Record<string, SchemaNode>;
}

/** JSON pointers of every field (or section) marked `requiresRestart` in `schema`. */
export function restartOnlyPaths(schema: SchemaNode = ConfigSchema as SchemaNode, at = ''): string[] {
  if (schema.requiresRestart === true) return [at];
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => restartOnlyPaths(child, `${at}/${key}`));
}

const RESTART_ONLY = restartOnlyPaths();

/** The restart-only paths whose value differs between the two configs, without the leading slash. */
export function changesNeedingRestart(running: Config, next: Config, paths: readonly string[] = RESTART_ONLY): string[] {
  return paths.filter((path) => JSON.stringify(valueAt(running, path)) !== JSON.stringify(valueAt(next, path))).map((path) => path.slice(1));
}

function valueAt(config: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), config);
}
