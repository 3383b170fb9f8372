import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { t } from '../helpers/file-test.js'
import ts from 'typescript'

/**
 * c8 leaves out of the coverage figure exactly the source files that hold only types (the store's
 * ports, the SCIM context): they compile to nothing, so nothing can run them, and counting their lines
 * as uncovered made the figure say less than it means. A file that gains code, or a new type-only
 * file, fails here until package.json's list follows.
 */
const root = new URL('../..', import.meta.url).pathname
const excluded: string[] = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { c8: { exclude: string[] } }).c8.exclude

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Whether a file compiles to an empty module: nothing but types, interfaces and type-only imports. */
function typesOnly(path: string): boolean {
  const text = readFileSync(path, 'utf8')
  // A top-level declaration of a value is code: most files end here, before the (slower) compile.
  if (/^(export\s+)?(default\s+)?(async\s+)?(function|class|const|let|var|enum)\b/m.test(text)) return false
  const { outputText } = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true },
  })
  return outputText.replace(/\/\/# sourceMappingURL=.*$/m, '').trim() === 'export {};'
}

t.test('c8 excludes exactly the type-only source files', async (t) => {
  const typeOnly = sourceFiles(join(root, 'src'))
    .filter(typesOnly)
    .map((path) => relative(root, path))
    .sort()
  t.ok(typeOnly.length > 0, 'there are some (the store ports)')
  t.same([...excluded].sort(), typeOnly)
})
