// Runs one child process and measures its wall time and peak RSS.
// CPU time (user + system) is measured too: unlike wall time it barely moves when other
// processes share the machine.
// Peak RSS comes from /usr/bin/time -f %M when it exists (Debian package `time`); otherwise the
// child is started with --import hwm-preload.mjs, which reports its own VmHWM on exit.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { clearTimeout, setTimeout } from 'node:timers'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const GNU_TIME = '/usr/bin/time'
/** BENCH_RSS=vmhwm forces the fallback (to check it on a machine that has GNU time). */
const USE_TIME = existsSync(GNU_TIME) && process.env.BENCH_RSS !== 'vmhwm'
export const RSS_SOURCE = USE_TIME ? '/usr/bin/time -f %M' : 'VmHWM (/proc/self/status at exit)'

/**
 * Runs `node ...nodeArgs` in `cwd`. Resolves to { ok, ms, rssMB, code, signal, stdout, stderr, failure }
 * where failure is undefined, 'timeout', 'OOM' or 'exit N'. Never rejects for a child's failure.
 */
export function runNode(nodeArgs, { cwd, timeoutMs, okCodes = [0] }) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'dbc-bench-'))
  const rssFile = path.join(scratch, 'rss')
  const useTime = USE_TIME
  const command = useTime ? GNU_TIME : process.execPath
  const args = useTime
    ? ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...nodeArgs]
    : ['--import', pathToFileURL(path.join(HERE, 'hwm-preload.mjs')).href, ...nodeArgs]
  const env = { ...process.env, BENCH_HWM_FILE: rssFile }
  delete env.NODE_OPTIONS
  return new Promise((resolve) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // "peak-kB user-seconds system-seconds" from either probe.
      let rssKB
      let cpuMs
      try {
        // GNU time writes "Command exited with non-zero status N" before the figures.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n')
        const [peak, user, system] = (lines[lines.length - 1] ?? '').split(' ').map(Number)
        rssKB = peak
        cpuMs = Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined
      } catch {
        rssKB = undefined
      }
      rmSync(scratch, { recursive: true, force: true })
      // Through /usr/bin/time a killed child shows as exit 128+signal.
      const exitCode = code !== null && code > 128 && useTime ? undefined : code
      const killedBy = signal ?? (code !== null && code > 128 ? code - 128 : undefined)
      let failure
      if (timedOut) failure = 'timeout'
      else if (/heap out of memory|Allocation failed|Invalid string length|ERR_STRING_TOO_LONG/.test(stderr) || killedBy === 9 || killedBy === 'SIGKILL') failure = 'OOM'
      else if (exitCode === undefined || exitCode === null || !okCodes.includes(exitCode)) failure = `exit ${code ?? signal}`
      resolve({
        ok: failure === undefined,
        ms,
        rssMB: Number.isFinite(rssKB) && rssKB > 0 ? rssKB / 1024 : undefined,
        cpuMs,
        code,
        signal,
        stdout,
        stderr,
        failure
      })
    })
  })
}
