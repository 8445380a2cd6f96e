/**
 * GitHub's published OpenAPI description (from `@octokit/openapi`), loaded once per test worker and
 * turned into ajv validators.
 *
 * We read `generated/api.github.com.json` with fs instead of importing the package: its index pulls
 * every description (~10 s, ~570 MB), whereas this single file parses in ~0.3 s.
 *
 * OpenAPI 3.0 is not quite JSON Schema, so the component schemas are normalised once (`nullable`
 * without `type`, `nullable` enums) before ajv sees them.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

export type JsonSchema = { [key: string]: unknown }

interface OpenApiParameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}

interface OpenApiOperation {
  operationId: string
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> } | { $ref: string }>
  parameters?: Array<OpenApiParameter | { $ref: string }>
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> }
  summary?: string
  externalDocs?: { url?: string }
  'x-github'?: { category?: string; subcategory?: string }
}

interface OpenApiSpec {
  paths: Record<string, Record<string, OpenApiOperation>>
  components: { schemas: Record<string, JsonSchema>; parameters: Record<string, OpenApiParameter> }
}

/** Document id under which the components are registered, so `#/components/...` refs resolve. */
const SPEC_ID = 'https://api.github.com/openapi.json'

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = (
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule
) as unknown as (ajv: Ajv) => Ajv

export interface SchemaIssue {
  /** JSON pointer into the validated value, e.g. `/output/annotations/0/start_line`. */
  path: string
  message: string
}

export interface OperationValidator {
  operationId: string
  documentationUrl: string
  /** Path and query parameters (values are strings from the URL; integers are coerced). */
  validateParams(pathParams: Record<string, string>, query: Record<string, string>): SchemaIssue[]
  /** JSON request body, with unknown keys rejected (see `closeObjects`). */
  validateBody(body: unknown): SchemaIssue[]
  hasBody: boolean
  /** A JSON response body against the operation's documented response for that status (open objects:
   * GitHub adds fields over time). No issues when the description documents no JSON body for it. */
  validateResponse(status: number, body: unknown): SchemaIssue[]
}

let cachedSpec: OpenApiSpec | undefined
let cachedAjv: Ajv | undefined
let cachedParamAjv: Ajv | undefined
const operationCache = new Map<string, OperationValidator>()
const componentCache = new Map<string, ValidateFunction>()

function specFile(): string {
  // Resolve from this file so the helper works whatever the cwd is.
  const here = path.dirname(fileURLToPath(import.meta.url))
  const require = createRequire(path.join(here, 'noop.js'))
  const pkgJson = require.resolve('@octokit/openapi/package.json')
  return path.join(path.dirname(pkgJson), 'generated', 'api.github.com.json')
}

export function loadSpec(): OpenApiSpec {
  if (!cachedSpec) {
    const spec = JSON.parse(readFileSync(specFile(), 'utf8')) as OpenApiSpec
    normaliseOpenApi30(spec.components.schemas)
    cachedSpec = spec
  }
  return cachedSpec
}

/**
 * Rewrites OpenAPI 3.0 idioms that ajv rejects or reads differently, in place:
 * - `nullable: true` without `type` (next to allOf/anyOf/$ref) -> `anyOf: [{type: null}, ...]`
 * - `nullable: true` with `enum` -> add `null` to the enum (3.0 allows null there implicitly).
 */
function normaliseOpenApi30(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normaliseOpenApi30(item)
    return
  }
  if (!node || typeof node !== 'object') return
  const obj = node as Record<string, unknown>
  for (const [key, value] of Object.entries(obj)) {
    // `example`/`examples` hold data, not schemas; leave them alone.
    if (key !== 'example' && key !== 'examples') normaliseOpenApi30(value)
  }
  if (obj.nullable !== true) return
  if (Array.isArray(obj.enum) && !obj.enum.includes(null)) obj.enum.push(null)
  if (obj.type === undefined) {
    const rest = { ...obj }
    delete rest.nullable
    for (const key of Object.keys(obj)) delete obj[key]
    obj.anyOf = [{ type: 'null' }, rest]
  }
}

function newAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true, logger: false, coerceTypes, useDefaults: false })
  addFormats(ajv)
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: loadSpec().components.schemas } })
  return ajv
}

function bodyAjv(): Ajv {
  cachedAjv ??= newAjv(false)
  return cachedAjv
}

function paramAjv(): Ajv {
  // URL parameters are strings; coercion turns "123" into 123 for `type: integer` like GitHub's router.
  cachedParamAjv ??= newAjv(true)
  return cachedParamAjv
}

/** Points local `#/components/...` refs at the registered spec document. */
function absolutiseRefs<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? SPEC_ID + value : value
    )
  ) as T
}

/**
 * GitHub's server rejects unknown keys in these request bodies even though the published schemas
 * leave `additionalProperties` open, so every object schema with declared `properties` is closed.
 * Combinator branches (anyOf/oneOf/allOf) are partial views of the same object and stay open.
 */
export function closeObjects(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema }
  if (copy.properties && typeof copy.properties === 'object' && copy.additionalProperties === undefined) {
    copy.additionalProperties = false
  }
  if (copy.properties && typeof copy.properties === 'object') {
    const props: Record<string, JsonSchema> = {}
    for (const [name, sub] of Object.entries(copy.properties as Record<string, JsonSchema>)) {
      props[name] = closeObjects(sub)
    }
    copy.properties = props
  }
  if (copy.items && typeof copy.items === 'object' && !Array.isArray(copy.items)) {
    copy.items = closeObjects(copy.items as JsonSchema)
  }
  return copy
}

function resolveParameter(spec: OpenApiSpec, p: OpenApiParameter | { $ref: string }): OpenApiParameter {
  if ('$ref' in p) {
    const name = p.$ref.replace('#/components/parameters/', '')
    const resolved = spec.components.parameters[name]
    if (!resolved) throw new Error(`Unresolvable parameter ref ${p.$ref}`)
    return resolved
  }
  return p
}

function paramsSchema(params: OpenApiParameter[], location: 'path' | 'query'): JsonSchema {
  const selected = params.filter((p) => p.in === location)
  return absolutiseRefs({
    type: 'object',
    properties: Object.fromEntries(selected.map((p) => [p.name, p.schema ?? {}])),
    required: selected.filter((p) => p.required).map((p) => p.name)
  })
}

function toIssues(errors: ErrorObject[] | null | undefined, root: string): SchemaIssue[] {
  return (errors ?? []).map((e) => ({ path: `${root}${e.instancePath}`, message: describeError(e) }))
}

/** Phrases ajv errors the way GitHub's JSON-schema validator (the json_schema gem) does. */
function describeError(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>
  const value = rubyInspect(e.data)
  switch (e.keyword) {
    case 'additionalProperties':
      return `"${String(params.additionalProperty)}" is not a permitted key.`
    case 'required':
      return `"${String(params.missingProperty)}" wasn't supplied.`
    case 'maxItems':
      return `No more than ${String(params.limit)} items are allowed; ${lengthOf(e.data)} were supplied.`
    case 'maxLength':
      return `Only ${String(params.limit)} characters are allowed; ${lengthOf(e.data)} were supplied.`
    case 'enum':
      return `${value} is not a member of ${JSON.stringify(params.allowedValues)}.`
    case 'type':
      return `${value} is not ${articleFor(String(params.type))}.`
    case 'format':
      return `${value} is not a valid ${String(params.format)}.`
    case 'anyOf':
      return 'No subschema in "anyOf" matched.'
    default:
      return `${e.message ?? 'is invalid'}.`
  }
}

function rubyInspect(data: unknown): string {
  return data === null || data === undefined ? 'nil' : JSON.stringify(data)
}

function lengthOf(data: unknown): number {
  if (typeof data === 'string') return [...data].length // code points, like Ruby's String#length
  return Array.isArray(data) ? data.length : 0
}

function articleFor(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

/**
 * The URL GitHub puts in error bodies today (`https://docs.github.com/rest/checks/runs#create-a-check-run`);
 * some `externalDocs` entries still carry the older `/rest/reference/...` form.
 */
function documentationUrl(op: OpenApiOperation): string {
  const gh = op['x-github']
  if (gh?.category && gh.subcategory && op.summary) {
    const anchor = op.summary.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
    return `https://docs.github.com/rest/${gh.category}/${gh.subcategory}#${anchor}`
  }
  return op.externalDocs?.url ?? 'https://docs.github.com/rest'
}

/** Validator for one operation of the spec, e.g. (`/repos/{owner}/{repo}/check-runs`, `post`). */
export function operationValidator(specPath: string, method: string): OperationValidator {
  const key = `${method} ${specPath}`
  const cached = operationCache.get(key)
  if (cached) return cached
  const spec = loadSpec()
  const op = spec.paths[specPath]?.[method]
  if (!op) throw new Error(`OpenAPI description has no operation ${key}`)
  const params = (op.parameters ?? []).map((p) => resolveParameter(spec, p))
  const validatePath = paramAjv().compile(paramsSchema(params, 'path'))
  const validateQuery = paramAjv().compile(paramsSchema(params, 'query'))
  const bodySchema = op.requestBody?.content?.['application/json']?.schema
  const validateBody = bodySchema ? bodyAjv().compile(absolutiseRefs(closeObjects(bodySchema))) : undefined

  const responseValidators = new Map<number, ValidateFunction | undefined>()
  const responseValidator = (status: number): ValidateFunction | undefined => {
    if (!responseValidators.has(status)) {
      const response = op.responses?.[String(status)]
      const schema = response !== undefined && !('$ref' in response) ? response.content?.['application/json']?.schema : undefined
      responseValidators.set(status, schema === undefined ? undefined : bodyAjv().compile(absolutiseRefs(schema)))
    }
    return responseValidators.get(status)
  }

  const validator: OperationValidator = {
    operationId: op.operationId,
    validateResponse(status, body) {
      const validate = responseValidator(status)
      if (!validate) return []
      return validate(body) ? [] : toIssues(validate.errors, '')
    },
    documentationUrl: documentationUrl(op),
    hasBody: validateBody !== undefined,
    validateParams(pathParams, query) {
      // Copies: coercion mutates its input.
      const p = { ...pathParams }
      const q = { ...query }
      const issues: SchemaIssue[] = []
      if (!validatePath(p)) issues.push(...toIssues(validatePath.errors, 'path:'))
      if (!validateQuery(q)) issues.push(...toIssues(validateQuery.errors, 'query:'))
      return issues
    },
    validateBody(body) {
      if (!validateBody) return []
      return validateBody(body) ? [] : toIssues(validateBody.errors, '')
    }
  }
  operationCache.set(key, validator)
  return validator
}

/**
 * Validates a value against `#/components/schemas/<name>` (response objects, webhook payloads).
 * Used by tests to prove the emulator's responses and the event builders match GitHub's shapes.
 */
export function validateComponent(name: string, value: unknown): SchemaIssue[] {
  let validate = componentCache.get(name)
  if (!validate) {
    if (!loadSpec().components.schemas[name]) throw new Error(`No component schema ${name}`)
    validate = bodyAjv().compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` })
    componentCache.set(name, validate)
  }
  return validate(value) ? [] : toIssues(validate.errors, '')
}
