import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { t } from '../helpers/file-test.js'

/**
 * Every test file runs in `npm test`: tap runs it as a file of its own (.taprc's include), or one group
 * of test/groups runs it in the group's process, never both (it would run twice) and never neither (it
 * would silently not run).
 */
const root = new URL('../..', import.meta.url).pathname

/** The test files below `dir`, as paths from the repository's root. */
const testFiles = (dir: string) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join(dir, name))

const groupsDir = join(root, 'test/groups')
const grouped = readdirSync(groupsDir).flatMap((name) =>
  [...readFileSync(join(groupsDir, name), 'utf8').matchAll(/'(\.\.\/[^']+\.test\.ts)'/g)].map((match) => ({
    group: name,
    file: relative(root, join(groupsDir, match[1]!)),
  })),
)
// .taprc's own list: without the TAP* settings this run of tap passes down (npm test's --exclude among them).
const ownEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^_?TAP/i.test(name)))
const runAlone = execFileSync('npx', ['tap', 'list'], { cwd: root, encoding: 'utf8', env: ownEnv }).split('\n').filter(Boolean)
const all = [...testFiles('test'), ...testFiles('scripts')]

t.test('every test file runs once: on its own or in one group', async (t) => {
  t.ok(grouped.length > 0, 'the groups name files')
  for (const file of all) {
    const groups = grouped.filter((entry) => entry.file === file).map((entry) => entry.group)
    const alone = runAlone.includes(file)
    t.equal(groups.length + (alone ? 1 : 0), 1, `${file}: ${alone ? 'on its own' : ''}${groups.join(', ')}`)
  }
})

t.test('the groups name only test files that exist, each once', async (t) => {
  for (const { file, group } of grouped) t.ok(all.includes(file), `${group} names ${file}`)
  t.equal(new Set(grouped.map((entry) => entry.file)).size, grouped.length)
})
