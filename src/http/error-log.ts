/**
 * The `err` serializer of every log line. An error from the database carries what the client sent:
 * drizzle's message lists the statement's parameters (emails, userNames), PostgreSQL's `detail`
 * quotes the key that clashed, and some messages quote the value they could not read. What a 5xx
 * needs for debugging is the kind of failure, not the data: the SQLSTATE, the constraint, the
 * statement's text (which holds placeholders, never values), and the stack.
 */
export interface LoggedError {
  type: string
  message: string
  stack?: string | undefined
  code?: string | undefined
  constraint?: string | undefined
  table?: string | undefined
  column?: string | undefined
  routine?: string | undefined
  cause?: LoggedError | undefined
}

const MAX_DEPTH = 5
const SQLSTATE = /^[0-9A-Z]{5}$/

export function errorForLog(error: unknown, depth = 0): LoggedError | undefined {
  if (error === undefined || error === null || depth > MAX_DEPTH) return undefined
  if (!(error instanceof Error)) return { type: typeof error, message: '[not an Error]' }
  const fields = error as Error & Record<string, unknown>
  const text = (key: string) => (typeof fields[key] === 'string' ? fields[key] : undefined)
  const code = text('code')
  const fromDatabase = code !== undefined && SQLSTATE.test(code)
  const message = scrub(error.message, fromDatabase)
  return {
    type: error.name,
    message,
    stack: stackFrames(error, message),
    code,
    constraint: text('constraint'),
    table: text('table'),
    column: text('column'),
    routine: text('routine'),
    cause: errorForLog(error.cause, depth + 1),
  }
}

function scrub(message: string, fromDatabase: boolean): string {
  // drizzle: "Failed query: <sql>\nparams: <values>" - the SQL stays, the values go.
  const params = message.indexOf('\nparams:')
  const kept = params >= 0 ? `${message.slice(0, params)}\nparams: [redacted]` : message
  // PostgreSQL quotes the value it could not take ('invalid input syntax for type uuid: "..."').
  return fromDatabase ? kept.replace(/"[^"]*"/g, '"…"') : kept
}

/** The stack starts by repeating the (possibly multi-line) message: keep only the frames after it. */
function stackFrames(error: Error, message: string): string | undefined {
  if (error.stack === undefined) return undefined
  const frames = error.stack.search(/\n\s+at /)
  return `${error.name}: ${message}${frames >= 0 ? error.stack.slice(frames) : ''}`
}
