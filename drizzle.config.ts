import { defineConfig } from 'drizzle-kit'

// Generates SQL migrations from src/store/pg/schema.ts; the same folder serves PGlite and PostgreSQL.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg/schema.ts',
  out: './migrations',
})
