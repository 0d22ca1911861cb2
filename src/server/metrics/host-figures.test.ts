// The helper's output as Linux prints it (/proc/meminfo, /proc/loadavg, `df -P -k`) → figures;
// a part missing or garbled is left undefined rather than guessed.
import { describe, expect, it } from 'vitest';
import { parseHostReadings } from './host-figures.ts';

const OUT = `MemTotal:       24683584 kB
MemFree:         1203456 kB
MemAvailable:   21097472 kB
Buffers:          123456 kB
--slipway--
0.42 0.37 0.30 2/512 12345
--slipway--
Filesystem     1024-blocks      Used Available Capacity Mounted on
/dev/sda1        264212084  45147528 205569348      19% /docker-root
`;

describe('parseHostReadings', () => {
  it('reads memory, load and the Docker root file system', () => {
    expect(parseHostReadings(OUT)).toEqual({
      memTotal: 24683584 * 1024,
      memAvailable: 21097472 * 1024,
      load1: 0.42,
      diskTotal: 264212084 * 1024,
      diskUsed: 45147528 * 1024,
    });
  });

  it('leaves out what is missing', () => {
    expect(parseHostReadings('sh: df: not found')).toEqual({ memTotal: undefined, memAvailable: undefined });
  });
});
