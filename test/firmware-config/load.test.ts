import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromObject, loadConfigFile, maskSecrets, padModelPaths, parseConfig, updateConfigFile } from '../../firmware-config/load.js';

describe('config', () => {
  it('fills every default from an empty object', () => {
    const config = parseConfig({});
    expect(config.mqtt.url).toBeNull();
    expect(config.model.executionProviders).toEqual(['cpu']);
    expect(config.matching.framesPerDecision).toBe(3);
    expect(config.cameras).toEqual([]);
  });

  it('rejects unknown keys and out-of-bounds values with a message naming the field', () => {
    expect(() => parseConfig({ mqtt: { urll: 'x' } })).toThrow(/mqtt: unknown key "urll"/);
    try {
      parseConfig({ matching: { threshold: 3 }, cameras: [{ id: 'bad id', url: 'x', doorId: 'd' }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/\/matching\/threshold/);
      expect(problems).toMatch(/\/cameras\/0\/id/);
    }
  });

  it('takes one PAD model or several to fuse, each resolved against the installation', () => {
    const installed = (file: string): string => join(import.meta.dirname, '../../models/padnet', file);
    expect(configFromObject({}).model.pad).toEqual([installed('padnet.onnx'), installed('padnet-tight.onnx')]);
    expect(configFromObject({ model: { pad: 'models/padnet/padnet.onnx' } }).model.pad).toBe(installed('padnet.onnx'));
    expect(configFromObject({ model: { pad: ['/opt/pad/a.onnx', 'models/padnet/padnet-tight.onnx'] } }).model.pad).toEqual(['/opt/pad/a.onnx', installed('padnet-tight.onnx')]);
    expect(padModelPaths({ pad: 'a.onnx' })).toEqual(['a.onnx']);
    expect(padModelPaths({ pad: ['a.onnx', 'b.onnx'] })).toEqual(['a.onnx', 'b.onnx']);
    expect(() => parseConfig({ model: { pad: [] } })).toThrow(ConfigError);
    expect(() => parseConfig({ model: { pad: '' } })).toThrow(ConfigError);
  });

  it('reports unreadable files and invalid JSON clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/Cannot read config file/);
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfigFile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
  });

  it('resolves relative paths against the base directory but leaves URLs alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({ dataDir: 'data', cameras: [{ id: 'a', url: 'clip.mp4', doorId: 'd' }, { id: 'b', url: 'rtsp://cam/1', doorId: 'd' }] }),
    );
    const { config } = loadConfigFile(file, dir);
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.cameras[0]!.url).toBe(join(dir, 'clip.mp4'));
    expect(config.cameras[1]!.url).toBe('rtsp://cam/1');
  });

  it('masks secrets for printing', () => {
    const config = parseConfig({ mqtt: { url: 'mqtts://door:hunter2@broker:8883', password: 'hunter2' } });
    const text = JSON.stringify(maskSecrets(config));
    expect(text).not.toContain('hunter2');
    expect(text).toContain('door:********@broker');
  });

  it('updates a file atomically and refuses an invalid update without touching it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{"applianceId":"a1"}');
    updateConfigFile(file, (raw) => {
      raw['matching'] = { threshold: 0.5 };
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ applianceId: 'a1', matching: { threshold: 0.5 } });
    expect(() => updateConfigFile(file, (raw) => void (raw['matching'] = { threshold: 9 }))).toThrow(ConfigError);
    expect(JSON.parse(readFileSync(file, 'utf8')).matching.threshold).toBe(0.5);
  });
});
