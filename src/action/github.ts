// The GitHub client: @octokit/rest with bounded retries for 5xx and rate limits.
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { Octokit } from '@octokit/rest'

const RetryingOctokit = Octokit.plugin(retry, throttling)
export type GitHubClient = InstanceType<typeof RetryingOctokit>

const RETRIES = 3
const RATE_LIMIT_RETRIES = 2
/** Longest wait we accept from a `retry-after` header before failing loudly instead. */
const MAX_RETRY_AFTER_SECONDS = 120

export interface ClientOptions {
  token: string
  baseUrl: string
  log: (message: string) => void
  /** Base delay of the retry backoff; tests shorten it. */
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
    retry: { retries: RETRIES, retryAfterBaseValue: base },
    throttle: {
      retryAfterBaseValue: base,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: onLimit('Rate limit'),
      onSecondaryRateLimit: onLimit('Secondary rate limit')
    },
    log: { debug: () => {}, info: () => {}, warn: options.log, error: options.log }
  })
}

export interface ApiFailure {
  status: number | undefined
  message: string
}

/** The status and GitHub's message of a failed request, without a stack trace. */
export function describeApiError(error: unknown): ApiFailure {
  const status = (error as { status?: unknown }).status
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data
  const message = typeof data?.message === 'string' ? data.message : error instanceof Error ? error.message : String(error)
  return { status: typeof status === 'number' ? status : undefined, message }
}
