// The action's inputs (action.yml), read and checked once.
import * as core from '@actions/core'
import { ConfigError } from '../core/config.js'
import { parseBackendLines } from '../io/config-file.js'

export type PublishMode = 'check-run' | 'status' | 'none'

/** A full commit SHA (SHA-1; 64 hex digits for SHA-256 repositories). GitHub answers 422 to anything else. */
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i

function shaInput(): { sha: string | undefined; rejected: boolean } {
  const sha = core.getInput('sha') || undefined
  if (sha === undefined || FULL_SHA.test(sha)) return { sha, rejected: false }
  return { sha: undefined, rejected: true }
}

export interface ActionInputs {
  config: string | undefined
  backends: Map<string, string[]>
  checkName: string
  token: string
  sha: string | undefined
  /** needs.<job>.result by job id, from `${{ toJSON(needs) }}`. */
  needs: Map<string, string>
  publish: PublishMode
  maxAnnotations: number
}

export function readInputs(): ActionInputs {
  const publish = core.getInput('publish') || 'check-run'
  if (publish !== 'check-run' && publish !== 'status' && publish !== 'none') {
    throw new ConfigError(`input publish: must be check-run, status or none (got "${publish}")`)
  }
  if (shaInput().rejected) {
    const text = core.getInput('sha')
    throw new ConfigError(`input sha: must be a full 40-character commit SHA (got "${text.length > 80 ? `${text.slice(0, 80)}…` : text}")`)
  }
  const maxText = core.getInput('max-annotations') || '50'
  const maxAnnotations = Number(maxText)
  if (!Number.isInteger(maxAnnotations) || maxAnnotations < 0) {
    throw new ConfigError(`input max-annotations: must be a whole number, 0 or more (got "${maxText}")`)
  }
  return {
    config: core.getInput('config') || undefined,
    backends: parseBackendLines(core.getMultilineInput('backends'), ':'),
    checkName: core.getInput('check-name') || 'dual-backend coverage',
    token: core.getInput('token'),
    sha: core.getInput('sha') || undefined,
    needs: parseNeeds(core.getInput('needs')),
    publish,
    maxAnnotations
  }
}

/** What publishing needs, read without validation errors: used when readInputs() threw, so a bad
 * input still ends in a failure check run (with the configured token, name and commit) rather than
 * in a step that fails without posting anything. */
export function publishingInputs(): Pick<ActionInputs, 'checkName' | 'token' | 'sha' | 'publish' | 'maxAnnotations'> & {
  /** The sha input was set but is not a full SHA: ignored here, so the failure lands on the event's commit. */
  shaRejected: boolean
} {
  const publish = core.getInput('publish')
  const sha = shaInput()
  const maxAnnotations = Number(core.getInput('max-annotations') || '50')
  return {
    checkName: core.getInput('check-name') || 'dual-backend coverage',
    token: core.getInput('token'),
    sha: sha.sha,
    shaRejected: sha.rejected,
    publish: publish === 'status' || publish === 'none' ? publish : 'check-run',
    maxAnnotations: Number.isInteger(maxAnnotations) && maxAnnotations >= 0 ? maxAnnotations : 50
  }
}

export function parseNeeds(text: string): Map<string, string> {
  const results = new Map<string, string>()
  if (text.trim().length === 0) return results
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ConfigError('input needs: must be ${{ toJSON(needs) }} (valid JSON)')
  }
  if (typeof value !== 'object' || value === null) throw new ConfigError('input needs: must be ${{ toJSON(needs) }}')
  for (const [job, entry] of Object.entries(value as Record<string, unknown>)) {
    const result = (entry as { result?: unknown } | null)?.result
    if (typeof result === 'string') results.set(job, result)
  }
  return results
}

/** Maps job ids to backends: the job named like the backend, else the one job whose id contains it. */
export function jobResultsByBackend(needs: Map<string, string>, backends: string[]): Map<string, string> {
  const results = new Map<string, string>()
  for (const backend of backends) {
    const exact = needs.get(backend)
    if (exact !== undefined) {
      results.set(backend, exact)
      continue
    }
    const containing = [...needs.keys()].filter((job) => job.toLowerCase().includes(backend.toLowerCase()))
    if (containing.length === 1) results.set(backend, needs.get(containing[0] as string) as string)
  }
  return results
}
