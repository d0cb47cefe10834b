/**
 * `npm run codegen`: regenerates the schema types of every stage (src/db/schema/) with
 * kysely-codegen, from one clone migrated step by step: the baseline first, then after each
 * clone stage; then the clone goes back to 0 and takes the production tiers one by one.
 * `--check` generates into a temporary folder and compares, exit 1 when anything is stale.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { createTwoFilesPatch } from 'diff'
import { Kysely, PostgresDialect as KyselyPostgresDialect } from 'kysely'
import { generate as generateTypes, Logger, PostgresDialect } from 'kysely-codegen'
import pg from 'pg'
import { loadConfig, type LoadedConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { dropWriterRoleIfUnused } from '../src/db/clone-role.ts'
import { writerRoleName } from '../src/guard/guard.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { withClient } from '../src/db/database.ts'
import { createFixture } from '../src/fixture/fixture.ts'
import { createClone } from '../src/clone/clone.ts'
import { down, migrationsOf, up } from '../src/migrator/migrator.ts'
import { BASELINE_FILE, schemaDirOf, schemaFileName } from '../src/db/schema-files.ts'

/**
 * kysely-codegen's types of the `public` schema at `url`. On a pool of our own, not the one
 * kysely-codegen's CLI makes: that pool's `end()` resolves before its sessions have left the
 * server, and has no error listener. The clone is dropped WITH (FORCE) right after the last
 * introspection; a session still closing then got the server's FATAL (57P01), an unhandled
 * 'error' that ended codegen (a flaky failure under load). Here every session has ended,
 * socket closed by the server, when this returns, and a late error on one is ignored.
 */
export async function introspect(url: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  pool.on('error', () => undefined)
  const ended: Promise<void>[] = []
  pool.on('connect', (client) => ended.push(new Promise((done) => client.once('end', () => done()))))
  // kysely-codegen is CommonJS and types `db` with kysely's CommonJS build, ours is the ESM one:
  // one API (it builds plain operation nodes and only calls `db`), two classes to TypeScript.
  const db = new Kysely<unknown>({ dialect: new KyselyPostgresDialect({ pool }) }) as unknown as Parameters<typeof generateTypes>[0]['db']
  try {
    return await generateTypes({ db, dialect: new PostgresDialect(), includePattern: 'public.*', outFile: null, logger: new Logger('error') })
  } finally {
    await db.destroy()
    await Promise.all(ended)
  }
}

/**
 * Writes `0000-baseline.ts` and one `NNNN-<id>.ts` per migration into `outDir`, from a fresh
 * stand-in and one clone on `server`; both are dropped afterwards.
 */
export async function generate(config: LoadedConfig, server: string, outDir: string): Promise<string[]> {
  const source = `codegen_src_${process.pid}`
  const clone = `directus_gov_test_codegen_${process.pid}`
  const written: string[] = []
  const write = async (url: string, file: string) => {
    writeFileSync(join(outDir, file), await introspect(url))
    written.push(file)
  }
  mkdirSync(outDir, { recursive: true })
  try {
    await createFixture({ url: withDatabase(server, source) })
    const { url } = await createClone({ from: withDatabase(server, source), name: clone, proposal: config.ratificationProposal })
    // The production tiers need ospa ≥ 1: this throwaway clone gets the approval a test stand-in gets.
    await withClient(url, (c) => c.query(`insert into os_proposal_approvals (proposal_code, approver, level) values ($1, 'codegen', 'L4')`, [config.ratificationProposal]))
    await write(url, BASELINE_FILE)
    const loaded = await migrationsOf(config)
    for (const track of ['clone', 'production'] as const) {
      const steps = loaded.filter((m) => m.migration.tier === track)
      if (track === 'production' && steps.length > 0) await down({ url, config, to: '0' })
      for (const m of steps) {
        await up({ url, config, to: m.migration.id, activateEmit: true })
        await write(url, schemaFileName(m))
      }
    }
  } finally {
    await withClient(withDatabase(server, 'postgres'), async (client) => {
      for (const name of [clone, source]) await client.query(`drop database if exists ${ident(name)} with (force)`)
      // The clone's writer role is cluster-wide: it goes with the clone, or every run would leave one behind.
      await dropWriterRoleIfUnused(client, writerRoleName(clone))
    })
  }
  return written
}

async function serverUrl(config: LoadedConfig): Promise<string> {
  const given = process.env.TEST_SERVER_URL || process.env.DATABASE_URL
  if (given) return withDatabase(given, 'postgres')
  return ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port })
}

/** The text of `dir/file`, undefined when there is none. */
function read(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8')
  } catch {
    return undefined
  }
}

/** Files of `fresh` that differ from, or are missing in, `committed`, and committed files nobody generates. */
function staleFiles(fresh: string, committed: string): string[] {
  const generated = readdirSync(fresh)
  const present = (() => {
    try {
      return readdirSync(committed).filter((f) => f.endsWith('.ts'))
    } catch {
      return []
    }
  })()
  return [...generated.filter((f) => read(fresh, f) !== read(committed, f)), ...present.filter((f) => !generated.includes(f))]
}

if (import.meta.filename === process.argv[1]) {
  const config = await loadConfig(resolve(process.argv.find((a) => a.startsWith('--config='))?.slice(9) ?? resolve(import.meta.dirname, '../kysely.config.ts')))
  const server = await serverUrl(config)
  const target = schemaDirOf(config)
  const shown = relative(process.cwd(), target) || target
  if (process.argv.includes('--check')) {
    const dir = mkdtempSync(join(tmpdir(), 'codegen-'))
    try {
      await generate(config, server, dir)
      const stale = staleFiles(dir, target)
      if (stale.length > 0) {
        // What differs, so that a stale file in CI says how without a rerun.
        for (const file of stale) console.error(createTwoFilesPatch(join(shown, file), `generated ${file}`, read(target, file) ?? '', read(dir, file) ?? ''))
        console.error(`${shown}: ${stale.join(', ')} stale: run \`npm run codegen\` and commit the result`)
        process.exitCode = 1 // not process.exit: the temporary folder goes first (finally)
      } else console.log(`${shown} is up to date`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  } else {
    const started = performance.now()
    for (const file of (() => { try { return readdirSync(target) } catch { return [] } })()) if (/^\d{4}-.*\.ts$/.test(file)) rmSync(join(target, file))
    const written = await generate(config, server, target)
    console.log(`wrote ${written.length} schema files to ${shown} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
}
