// The GitHub client: @octokit/rest with bounded retries for 5xx and rate limits.
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { Octokit } from '@octokit/rest'

/** Attempts made for each request, retries included (keyed by the options object the retry
 * plugins pass to every attempt of one request). */
const attempts = new WeakMap<object, number>()

/** Innermost hook (registered before the retry plugins): sees every attempt, and tags a failure
 * with how many attempts the request got, for the message that fails the step. */
function countAttempts(octokit: Pick<Octokit, 'hook'>): Record<string, never> {
  octokit.hook.wrap('request', async (request, options) => {
    const count = (attempts.get(options) ?? 0) + 1
    attempts.set(options, count)
    try {
      return await request(options)
    } catch (error) {
      if (typeof error === 'object' && error !== null) (error as { attempts?: number }).attempts = count
      throw error
    }
  })
  return {}
}

const RetryingOctokit = Octokit.plugin(countAttempts, retry, throttling)
export type GitHubClient = InstanceType<typeof RetryingOctokit>

/** Retries of a 5xx (so 4 attempts), with a quadratic backoff: base × 1, 4, 9. */
export const RETRIES = 3
/** Retries after a rate limit, each after GitHub's `retry-after` (so 3 attempts). */
export const RATE_LIMIT_RETRIES = 2
/** Longest wait we accept from a `retry-after` header before failing loudly instead. */
const MAX_RETRY_AFTER_SECONDS = 120
/** `retry-after` and the rate-limit reset are in seconds; the throttling plugin multiplies by this. */
const MS_PER_SECOND = 1000
/** Statuses the retry plugin leaves alone: client errors, and 429, which the throttling plugin
 * retries after `retry-after` (the retry plugin would retry it at once, ignoring the header). */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451]

export interface ClientOptions {
  token: string
  baseUrl: string
  /** Retry decisions (rate limits): worth a warning. */
  log: (message: string) => void
  /** One line per failed attempt (octokit's request log): plain log lines, not annotations. */
  info?: (message: string) => void
  /** Base delay of the 5xx retry backoff; tests shorten it. Never scales GitHub's `retry-after`. */
  retryBaseMs?: number
}

export function createClient(options: ClientOptions): GitHubClient {
  const base = options.retryBaseMs ?? 1000
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const retrying = retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RETRY_AFTER_SECONDS
    options.log(`${kind} on ${request.method} ${request.url}: ${retrying ? `retrying after ${retryAfter} s` : 'giving up'}`)
    return retrying
  }
  return new RetryingOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: 'dual-backend-coverage',
    retry: { retries: RETRIES, retryAfterBaseValue: base, doNotRetry: DO_NOT_RETRY },
    throttle: {
      retryAfterBaseValue: MS_PER_SECOND,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: onLimit('Rate limit'),
      onSecondaryRateLimit: onLimit('Secondary rate limit')
    },
    log: { debug: () => {}, info: () => {}, warn: options.log, error: options.info ?? options.log }
  })
}

export interface ApiFailure {
  status: number | undefined
  message: string
  /** Attempts made for the failed request, retries included (undefined when not an API call). */
  attempts: number | undefined
}

/** The status and GitHub's message of a failed request, without a stack trace. */
export function describeApiError(error: unknown): ApiFailure {
  const status = (error as { status?: unknown }).status
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data
  const message = typeof data?.message === 'string' ? data.message : error instanceof Error ? error.message : String(error)
  const count = (error as { attempts?: unknown }).attempts
  return { status: typeof status === 'number' ? status : undefined, message, attempts: typeof count === 'number' ? count : undefined }
}
