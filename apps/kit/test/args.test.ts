import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAppArgs, UsageError, useDevice } from '../src/index.js';
import { getDefaultDevice } from '@tensile/core';

describe('parseAppArgs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes the app defaults, then the command line, and skips a leading --', () => {
    const o = parseAppArgs(['--', '--epochs', '3', '--batch-size=64', '--lr', '0.01', '--resume', '--out', 'res'], { epochs: 5, lr: 1e-3, device: 'js' });
    expect(o).toEqual({ device: 'js', epochs: 3, batchSize: 64, lr: 0.01, seed: 0, out: 'res', resume: true, quiet: false });
    const d = parseAppArgs([], { epochs: 7, batchSize: 16 });
    expect(d.epochs).toBe(7);
    expect(d.batchSize).toBe(16);
    expect(d.device).toBe('cpu');
    expect(d.resume).toBe(false);
  });

  it('parses extra flags in camelCase, with number flags validated', () => {
    const o = parseAppArgs(['--hidden-size', '128', '--cell', 'gru', '--clip'], {}, {
      'hidden-size': { type: 'number', integer: true, min: 1, default: 64 },
      cell: { type: 'string', default: 'lstm' },
      clip: { type: 'boolean' },
      temperature: { type: 'number', default: 0.8 },
      name: { type: 'string' },
    });
    expect(o.hiddenSize).toBe(128);
    expect(o.cell).toBe('gru');
    expect(o.clip).toBe(true);
    expect(o.temperature).toBe(0.8);
    expect(o.name).toBeUndefined();
    expect(() => parseAppArgs(['--hidden-size', '1.5'], {}, { 'hidden-size': { type: 'number', integer: true } })).toThrow(/--hidden-size: expected an integer, got '1.5'/);
  });

  it('rejects bad numbers with an error naming the flag', () => {
    const bad: [string[], RegExp][] = [
      [['--epochs', 'ten'], /--epochs: expected an integer, got 'ten'/],
      [['--epochs', '0'], /--epochs: expected an integer >= 1/],
      [['--batch-size', '2.5'], /--batch-size: expected an integer/],
      [['--lr=-0.1'], /--lr: expected a positive number/],
      [['--lr', '-0.1'], /'--lr=-XYZ'/],
      [['--lr', 'fast'], /--lr: expected a number, got 'fast'/],
      [['--seed=-1'], /--seed: expected an integer >= 0/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseAppArgs(argv, {})).toThrow(UsageError);
      expect(() => parseAppArgs(argv, {})).toThrow(re);
    }
  });

  it('rejects unknown flags and stray arguments', () => {
    expect(() => parseAppArgs(['--epoch', '3'], {})).toThrow(/Unknown option '--epoch'/);
    expect(() => parseAppArgs(['extra'], {})).toThrow(UsageError);
    expect(() => parseAppArgs(['--epochs'], {})).toThrow(/--epochs/);
  });

  it('--help prints the usage and the common options, then exits 0', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exit');
    }) as never);
    expect(() => parseAppArgs(['--help'], {}, undefined, 'usage: my-app [options]')).toThrow('exit');
    expect(exit).toHaveBeenCalledWith(0);
    expect(log.mock.calls[0]![0]).toMatch(/^usage: my-app \[options\][\s\S]*--batch-size N/);
  });
});

describe('useDevice', () => {
  it("makes 'js' the default device", async () => {
    await useDevice('js');
    expect(getDefaultDevice()).toBe('js');
  });
  it('names the known devices for an unknown one', async () => {
    await expect(useDevice('tpu')).rejects.toThrow(/unknown device 'tpu' \(known: js, cpu, webgpu, cuda\)/);
  });
  it('says clearly when a backend package is missing', async () => {
    await expect(useDevice('cuda')).rejects.toThrow(/device 'cuda' is not available: importing @tensile\/cuda failed/);
  });
});
