// Prints the files with the lowest line coverage from c8's json-summary report (no gate: a list to read).
//   node scripts/coverage-weakest.mjs coverage/coverage-summary.json [N]
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

const [file = 'coverage/coverage-summary.json', count = '8'] = process.argv.slice(2)
const summary = JSON.parse(readFileSync(file, 'utf8'))
const rows = Object.entries(summary)
  .filter(([name]) => name !== 'total')
  .map(([name, s]) => ({ name: relative(process.cwd(), name), lines: s.lines, branches: s.branches }))
  .sort((a, b) => a.lines.pct - b.lines.pct || b.lines.total - a.lines.total)
  .slice(0, Number(count))
const { lines, branches } = summary.total
console.log(`coverage: lines ${lines.pct}% (${lines.covered}/${lines.total}), branches ${branches.pct}% (${branches.covered}/${branches.total})`)
console.log(`lowest line coverage (${rows.length} files):`)
for (const r of rows) {
  console.log(`  ${r.name.padEnd(44)} lines ${String(r.lines.pct).padStart(6)}% (${r.lines.covered}/${r.lines.total}), branches ${r.branches.pct}%`)
}
