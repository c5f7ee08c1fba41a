// Options and set-up shared by the field tools (embed, eval, calibrate, pad, eval-pad): numeric option
// parsing with usage errors, the synthetic-mask protocols, and the models with an optional
// --model override.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../firmware-config/schema.js';
import { Core, qualityProfiles } from '../appliance.js';
import { PhotoEmbedder } from '../../field-tools/photo-embedder.js';
import { PhotoPad } from '../../field-tools/photo-pad.js';
import { readVideoFrames } from '../../field-tools/video-frames.js';
import { UsageError } from './command.js';
import { NO_QUALITY_LIMITS, type QualityProfile, type QualityProfileName } from '../../pipeline/quality.js';

export const DEFAULT_BATCH = 8;

export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** A rate such as 0.001 or 1e-3, strictly between 0 and `max` (inclusive). */
export function rateOption(name: string, value: string, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
    throw new UsageError(`--${name} must be a number in (0, ${max}], got "${value}"`);
  }
  return n;
}

/**
 * Synthetic masking of the development protocols:
 * none  = both sides as given (UMR-UMP on unmasked photos, or photos that already show masks);
 * probe = UMR-MP: the reference (img1) unmasked, the probe (img2) masked, as at the door;
 * both  = MR-MP: both masked, in different colours.
 */
export type MaskMode = 'none' | 'probe' | 'both';
export const PROBE_MASK_COLOUR = '#9cc7e0';
export const REFERENCE_MASK_COLOUR = '#f2f2f2';

export function maskModeOption(value: string | undefined, fallback: MaskMode, allowed: readonly MaskMode[] = ['none', 'probe', 'both']): MaskMode {
  const mode = (value ?? fallback) as MaskMode;
  if (!allowed.includes(mode)) throw new UsageError(`--mask must be one of ${allowed.join(', ')}, got "${value}"`);
  return mode;
}

/** Mask colour of each side of a pair under `mode` (null: unmasked). */
export function maskColours(mode: MaskMode): { readonly img1: string | null; readonly img2: string | null } {
  if (mode === 'probe') return { img1: null, img2: PROBE_MASK_COLOUR };
  if (mode === 'both') return { img1: REFERENCE_MASK_COLOUR, img2: PROBE_MASK_COLOUR };
  return { img1: null, img2: null };
}

export function protocolName(mode: MaskMode): string {
  return { none: 'as given (no synthetic mask)', probe: 'UMR-MP (probe masked)', both: 'MR-MP (both masked)' }[mode];
}

/** The config with its embedding model replaced by --model, when given. */
export function withEmbedderModel(config: Config, modelPath: string | undefined): Config {
  return modelPath === undefined ? config : { ...config, model: { ...config.model, embedder: resolve(modelPath) } };
}

/**
 * Quality profile of a field tool: photo (default: refuse only unusable faces, warn otherwise),
 * door (what the camera would accept), none (refuse nothing: to measure what each check costs).
 */
export type ToolQuality = QualityProfileName | 'none';

export function toolQualityOption(value: string | undefined): ToolQuality {
  const q = (value ?? 'photo') as ToolQuality;
  if (!['photo', 'door', 'none'].includes(q)) throw new UsageError(`--quality must be one of photo, door, none, got "${value}"`);
  return q;
}

export async function openPhotoEmbedder(
  config: Config,
  logger: Logger,
  quality: ToolQuality = 'photo',
): Promise<{ core: Core; photos: PhotoEmbedder }> {
  const core = await Core.open(config, logger);
  const profiles = qualityProfiles(config);
  const profile: QualityProfile =
    quality === 'none' ? { refuse: { unmasked: NO_QUALITY_LIMITS, masked: NO_QUALITY_LIMITS }, warn: profiles.door.refuse } : profiles[quality];
  return { core, photos: new PhotoEmbedder({ detector: core.detector, embedder: core.embedder, quality: profile }) };
}

export async function openPhotoPad(config: Config, logger: Logger): Promise<{ core: Core; pad: PhotoPad }> {
  const core = await Core.open(config, logger);
  return { core, pad: new PhotoPad(core.detector, core.pad, readVideoFrames) };
}
