// bench/lib/max-rss.mjs — preloaded into a CLI child (`node --import …/max-rss.mjs …`): when the
// process exits, its peak resident set size (VmHWM of /proc/self/status, in KiB) and its CPU time
// (user and system, ms) are written, space-separated, to the file named by BENCH_RSS_FILE. Plain JS
// so it needs no loader.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file)
  process.on('exit', () => {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const cpu = process.cpuUsage();
    writeFileSync(file, `${m ? m[1] : process.resourceUsage().maxRSS} ${Math.round(cpu.user / 1000)} ${Math.round(cpu.system / 1000)}`);
  });
