import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration, percent } from './format.ts';

describe('format', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(null)).toBe('—');
  });

  it('formats durations with the two largest units', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(303)).toBe('5m 3s');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(2 * 86400 + 4 * 3600 + 59)).toBe('2d 4h');
    expect(formatDuration(0)).toBe('0s');
    expect(formatAge(120)).toBe('2m ago');
    expect(formatAge(undefined)).toBe('—');
  });

  it('gives a percentage only when both sides are known', () => {
    expect(percent(1, 4)).toBe(25);
    expect(percent(1, 0)).toBeUndefined();
    expect(percent(null, 4)).toBeUndefined();
  });
});
