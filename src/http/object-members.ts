/**
 * Whether a JSON text holds an object of more than `max` members, found in one pass over its
 * characters before JSON.parse runs. V8 builds an object of 90,000 members (a 1 MiB body) in about
 * 100 ms on two shared cores, holding every other request that long; this pass reads the same
 * megabyte in a few milliseconds and lets such a body be refused unparsed.
 *
 * Exact for valid JSON: outside strings a ':' only ever separates a member's name from its value, so
 * the colons directly inside an object are its members. A repeated name counts each time it is written.
 * Invalid JSON is counted the same way; it is refused either way (as too large here, or by the parser).
 */
export function holdsObjectLargerThan(text: string, max: number): boolean {
  // Per open container, innermost last: the members counted so far, or -1 for an array.
  const open: number[] = []
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT) open.push(0)
    else if (c === OPEN_ARRAY) open.push(-1)
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) open.pop()
    else if (c === COLON) {
      const members = open.at(-1)
      if (members === undefined || members < 0) continue
      if (members + 1 > max) return true
      open[open.length - 1] = members + 1
    }
  }
  return false
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
