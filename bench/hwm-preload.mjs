// Fallback peak-RSS probe when /usr/bin/time is missing: loaded with `node --import`, it writes
// the process's VmHWM (peak resident set, kB) and CPU seconds to $BENCH_HWM_FILE at exit.
import { readFileSync, writeFileSync } from 'node:fs'

const target = process.env.BENCH_HWM_FILE
if (target) {
  process.on('exit', () => {
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
      const { userCPUTime, systemCPUTime } = process.resourceUsage()
      // Same shape as /usr/bin/time -f '%M %U %S': peak kB, user and system seconds.
      writeFileSync(target, `${match ? match[1] : ''} ${userCPUTime / 1e6} ${systemCPUTime / 1e6}`)
    } catch {
      // no /proc: the runner reports the RSS as unknown
    }
  })
}
