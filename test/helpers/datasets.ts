// The shared face data beside the checkout (../shared/datasets, see its README). Tests that need
// it skip when it is absent, so the suite runs on a machine without it.
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** The LFW development set: one folder per person, <name>/<name>_NNNN.jpg. */
export const LFW = resolve(REPO_ROOT, '../shared/datasets/lfw-dev');

/** MFR2: real masked faces of named people (160x160 crops, manifest.csv). */
export const MFR2 = resolve(REPO_ROOT, '../shared/datasets/mfr2');

/** The n-th LFW photo of `who` (1-based, as LFW numbers them). */
export const lfwPhoto = (who: string, n: number): string => join(LFW, who, `${who}_${String(n).padStart(4, '0')}.jpg`);
