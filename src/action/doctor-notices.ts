// The doctor's checks as notices in the gate's own run: a maintainer who never runs the CLI still
// sees that the gate job lacks `if: always()` or a report upload skips on failure. Notices only:
// the verdict is the reports' alone, and a workflow the checkout lacks is not looked for.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import type { Redactor } from '../core/redact.js'
import { diagnoseWorkflows, MAX_WORKFLOW_CHARS } from '../core/workflow-doctor.js'
import { defuseWorkflowCommands } from '../render/escape.js'

/** The runner shows at most 10 notices of a step; the doctor's findings share them with nothing else. */
const MAX_NOTICES = 10

export function workflowNotices(workspace: string, redact: Redactor): void {
  const directory = path.join(workspace, '.github', 'workflows')
  let names: string[]
  try {
    names = readdirSync(directory).filter((name) => /\.ya?ml$/i.test(name)).sort()
  } catch {
    return
  }
  const files: Array<{ path: string; text: string }> = []
  for (const name of names) {
    const file = path.join(directory, name)
    try {
      const info = statSync(file)
      if (info.isFile() && info.size <= MAX_WORKFLOW_CHARS) files.push({ path: `.github/workflows/${name}`, text: readFileSync(file, 'utf8') })
    } catch {
      // Unreadable: the doctor command names it; here it is simply not looked at.
    }
  }
  if (files.length === 0) return
  let findings
  try {
    findings = diagnoseWorkflows(files)
  } catch (error) {
    core.info(`doctor: could not check the workflows (${(error as Error).message})`)
    return
  }
  for (const finding of findings.slice(0, MAX_NOTICES)) {
    core.notice(defuseWorkflowCommands(redact(`${finding.message} Fix: ${finding.fix}`)), {
      title: `dual-backend-coverage doctor: ${finding.rule}`,
      file: finding.file,
      startLine: finding.line
    })
  }
  if (findings.length > MAX_NOTICES) core.info(`doctor: ${findings.length - MAX_NOTICES} more findings; run \`npx dual-backend-coverage doctor\` for all of them`)
}
