#!/usr/bin/env bash
# Carries a PGlite data directory (DATA_DIR) over to a PGlite with a newer PostgreSQL major inside, as a dump
# and restore, the way PostgreSQL majors are crossed: PGlite 0.6 (PostgreSQL 19) cannot open the files of
# PGlite 0.5 (PostgreSQL 18), and fails to start with "PGlite failed to initialize properly".
#
#   scripts/pglite-carry-over.sh OLD_DIR NEW_DIR
#
# Stop the service first (one process at a time can open a data directory). OLD_DIR is only read: the dump
# runs on a copy of it. NEW_DIR must not exist; it is written with this checkout's PGlite (run `npm ci`
# first), then the service starts on it (DATA_DIR=NEW_DIR) and finds every migration applied.
# The old PGlite and its pg_dump (@electric-sql/pglite-tools) are installed from the npm registry into a
# temporary directory.
set -euo pipefail
usage="usage: $0 OLD_DIR NEW_DIR"
old=${1:?$usage}
new=${2:?$usage}
cd "$(dirname "$0")/.."
[ -f "$old/PG_VERSION" ] || { echo "$old is not a PGlite data directory (no PG_VERSION)" >&2; exit 2; }
[ ! -e "$new" ] || { echo "$new exists: name a directory to create" >&2; exit 2; }
[ -d node_modules/@electric-sql/pglite ] || { echo "run npm ci first: the new directory is written with this checkout's PGlite" >&2; exit 2; }
from=$(cat "$old/PG_VERSION")
case "$from" in
  # pglite-tools 0.4.8 names PGlite 0.5.8 as its peer; its pg_dump works with the last 0.5 release.
  18) old_pglite=@electric-sql/pglite@0.5.17 dump_tools=@electric-sql/pglite-tools@0.4.8 ;;
  *) echo "$old holds PostgreSQL $from: no dump tool is named here for it" >&2; exit 2 ;;
esac

tmp=$(mktemp -d /tmp/pglite-carry-over-XXXXXX)
done_ok=""
cleanup() {
  rm -rf "$tmp"
  if [ -z "$done_ok" ] && [ -e "$new" ]; then rm -rf "$new"; fi
}
trap cleanup EXIT

to=$(node --input-type=module -e "
  import { PGlite } from '@electric-sql/pglite'
  const pg = await PGlite.create()
  console.log((await pg.query('show server_version_num')).rows[0].server_version_num.slice(0, -4))
  await pg.close()")
if [ "$from" = "$to" ]; then
  echo "$old is PostgreSQL $from, as this checkout's PGlite: it opens as it is (copy it instead)"
  exit 0
fi

echo "installing $old_pglite and $dump_tools (for the dump only) ..."
mkdir -p "$tmp/tools"
npm install --prefix "$tmp/tools" --no-audit --no-fund --silent --legacy-peer-deps "$old_pglite" "$dump_tools" >/dev/null
cp -a "$old" "$tmp/old"
cat >"$tmp/tools/dump.mjs" <<'EOF'
import { writeFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { pgDump } from '@electric-sql/pglite-tools/pg_dump'
const pg = await PGlite.create({ dataDir: process.argv[2], extensions: { pg_trgm } })
const { server_version: version } = (await pg.query('show server_version')).rows[0]
// pgDump adds --inserts: the dump is plain SQL that a PGlite can run with exec().
const file = await pgDump({ pg, args: ['--no-owner', '--no-privileges'] })
writeFileSync(process.argv[3], await file.text())
await pg.close()
console.log(`dumped ${process.argv[2]} (PostgreSQL ${version})`)
EOF
node "$tmp/tools/dump.mjs" "$tmp/old" "$tmp/dump.sql"

node --input-type=module - "$new" "$tmp/dump.sql" <<'EOF'
import { readFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
const [dir, dump] = process.argv.slice(2)
const pg = await PGlite.create({ dataDir: dir, extensions: { pg_trgm } })
await pg.exec(readFileSync(dump, 'utf8'))
await pg.exec('set search_path to public')
const { server_version: version } = (await pg.query('show server_version')).rows[0]
const tables = (await pg.query(`select relname from pg_stat_user_tables where schemaname = 'public' order by relname`)).rows
const counts = []
for (const { relname } of tables) counts.push(`${relname} ${(await pg.query(`select count(*)::int as n from public."${relname}"`)).rows[0].n}`)
const migrations = (await pg.query('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0].n
await pg.close()
console.log(`restored into ${dir} (PostgreSQL ${version}): ${migrations} migrations applied; rows: ${counts.join(', ')}`)
EOF
done_ok=1
