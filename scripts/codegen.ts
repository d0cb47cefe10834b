/**
 * `npm run codegen`: regenerates src/db/schema.ts with kysely-codegen from a clone
 * migrated to the last clone stage. `--check` compares instead of writing, exit 1 when stale.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { withClient } from '../src/db/database.ts'
import { createFixture } from '../src/fixture/fixture.ts'
import { createClone } from '../src/clone/clone.ts'
import { up } from '../src/migrator/migrator.ts'

export const SCHEMA_FILE = resolve(import.meta.dirname, '../src/db/schema.ts')

/** Generates the types into `outFile` from a fresh stand-in and clone on `server`. */
export async function generate(server: string, outFile: string): Promise<void> {
  const config = await loadConfig(resolve(import.meta.dirname, '../kysely.config.ts'))
  const source = `codegen_src_${process.pid}`
  const clone = `directus_gov_test_codegen_${process.pid}`
  try {
    await createFixture({ url: withDatabase(server, source) })
    const { url } = await createClone({ from: withDatabase(server, source), name: clone, proposal: config.ratificationProposal })
    await up({ url, config })
    execFileSync(
      resolve(import.meta.dirname, '../node_modules/.bin/kysely-codegen'),
      ['--dialect', 'postgres', '--url', url, '--include-pattern', 'public.*', '--out-file', outFile, '--log-level', 'error'],
      { stdio: 'inherit' },
    )
  } finally {
    await withClient(withDatabase(server, 'postgres'), async (client) => {
      for (const name of [clone, source]) await client.query(`drop database if exists ${ident(name)} with (force)`)
    })
  }
}

async function serverUrl(): Promise<string> {
  const given = process.env.TEST_SERVER_URL || process.env.DATABASE_URL
  if (given) return withDatabase(given, 'postgres')
  const config = await loadConfig(resolve(import.meta.dirname, '../kysely.config.ts'))
  return ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port })
}

if (import.meta.filename === process.argv[1]) {
  const server = await serverUrl()
  if (process.argv.includes('--check')) {
    const dir = mkdtempSync(join(tmpdir(), 'codegen-'))
    try {
      await generate(server, join(dir, 'schema.ts'))
      const fresh = readFileSync(join(dir, 'schema.ts'), 'utf8')
      if (fresh !== readFileSync(SCHEMA_FILE, 'utf8')) {
        console.error('src/db/schema.ts is stale: run `npm run codegen` and commit the result')
        process.exit(1)
      }
      console.log('src/db/schema.ts is up to date')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  } else {
    await generate(server, SCHEMA_FILE)
    console.log(`wrote ${SCHEMA_FILE}`)
  }
}
