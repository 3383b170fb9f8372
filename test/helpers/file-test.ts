import tap, { type Test } from 'tap'

/**
 * The test a test file adds its tests to. A file run on its own (`npx tap test/http/users.test.ts`)
 * adds them to tap's root, as `import t from 'tap'` would. A file run by a group (`runFiles`, one
 * process for many files) adds them to the subtest the group opened for it: its teardowns run when the
 * file is done, its failures are reported under its name, and the next file starts only then.
 *
 * A live binding: `runFiles` points it at each file's subtest before importing the file, and it stays
 * there until the next file starts, so a file's own helpers that assert through it (while the file's
 * tests run, after the import returned) reach the file's subtest too.
 */
export let t: Test = tap

/** How long one file of a group may take: .taprc's `timeout`, which tap hands its test processes as TAP_TIMEOUT (s). */
const FILE_TIMEOUT_MS = Number(process.env.TAP_TIMEOUT ?? 30) * 1000

/**
 * Runs test files one after another in this process, each in a subtest named after it. What a test
 * file costs before its first test (loading the modules through tsx, starting PGlite, copying the
 * PostgreSQL template) is paid once per group instead of once per file: the files share this
 * process's databases (`testDatabases` empties them for each file).
 */
export async function runFiles(base: string, files: readonly string[]): Promise<void> {
  // The root's own limit is for the whole process: each file keeps its own below.
  tap.setTimeout(FILE_TIMEOUT_MS * files.length)
  for (const file of files) {
    await tap.test(file, { timeout: FILE_TIMEOUT_MS }, async (sub) => {
      t = sub
      await import(new URL(file, base).href)
    })
  }
}
