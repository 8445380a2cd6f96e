// Fallback peak-RSS probe when /usr/bin/time is missing: loaded with `node --import`, it writes
// the process's VmHWM (peak resident set, kB) to $BENCH_HWM_FILE when the process exits.
import { readFileSync, writeFileSync } from 'node:fs'

const target = process.env.BENCH_HWM_FILE
if (target) {
  process.on('exit', () => {
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
      writeFileSync(target, match ? match[1] : '')
    } catch {
      // no /proc: the runner reports the RSS as unknown
    }
  })
}
