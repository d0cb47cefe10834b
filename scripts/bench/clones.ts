/**
 * The clone section of `npm run bench`: each strategy of `migrate clone` against the raw
 * PostgreSQL tool doing the same copy, on one stand-in with organic bulk, in one run:
 * dump (pg_dump | psql), template (createdb -T … -S FILE_COPY) and reset from a golden
 * snapshot (dropdb + createdb -T golden). Raw and tool runs take turns going first, medians reported.
 */
import { createClone } from '../../src/clone/clone.ts'
import { fingerprintOf } from '../../src/fingerprint/read.ts'
import { resetClone, snapshotClone } from '../../src/clone/snapshot.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { readCatalog } from '../../src/clone/catalog.ts'
import { databaseOf, ident, withDatabase } from '../../src/db/url.ts'
import { createFixture } from '../../src/fixture/fixture.ts'
import { dropWriterRoleIfUnused, writerRoleName } from '../../src/db/clone-role.ts'
import { figure, medianOf, timed, timedShell, type Figure, type Timing } from './measure.ts'

export interface CloneBenchOptions {
  server: string
  bulkBytes: number
  proposal: string
  runs: number
  dumpRuns: number
  /** pg_dump reaches the server (its major version is at least the server's). */
  dump: boolean
  log: (line: string) => void
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

export async function benchClones(options: CloneBenchOptions): Promise<{ figures: Figure[]; standInBytes: number; cleanup: () => Promise<void> }> {
  const { server, log } = options
  const drop = (name: string) => withClient(server, (c) => c.query(`drop database if exists ${ident(name)} with (force)`))
  const names = ['directus_bench', 'directus_gov_test_bench', 'directus_gov_test_bench_golden', 'bench_raw_copy', 'bench_raw_dump']
  const cleanup = async () => {
    for (const name of names) await drop(name)
    // The clone's own role goes with it (as `migrate clone drop` does), once every database holding
    // its objects is gone: the golden snapshot and the raw copy made of it too.
    await withClient(server, (c) => dropWriterRoleIfUnused(c, writerRoleName('directus_gov_test_bench')))
  }
  await cleanup()
  const source = withDatabase(server, 'directus_bench')
  log(`building the stand-in with organic bulk to ${(options.bulkBytes / 1024 / 1024).toFixed(0)} MB`)
  await createFixture({ url: source, bulkBytes: options.bulkBytes })
  // Vacuumed, as autovacuum has long since done on any production (and would do here, in the
  // middle of some run): its pages all-visible with their hint bits set, so no copy's first
  // reader pays for setting them in the copy, and no worker comes by during a copy.
  log('vacuuming the stand-in, as autovacuum has done on a production')
  await withClient(source, (c) => c.query('vacuum (analyze)'))
  // A checkpoint, so no copy pays for another's dirty pages.
  const settle = () => withClient(server, (c) => c.query('checkpoint'))
  await settle()
  // Raw and tool take turns going first (raw, tool; tool, raw; …), each after a checkpoint: a copy
  // right after another's gigabyte of writes runs on a disk still busy with them (seen here: a
  // second FILE_COPY after a first at 1.1–1.4 s took 3.0 s), and that must not fall on one side only.
  const inTurn = async (i: number, [rawRun, toolRun]: [() => Promise<void>, () => Promise<void>]) => {
    for (const run of i % 2 === 0 ? [rawRun, toolRun] : [toolRun, rawRun]) {
      await settle()
      await run()
    }
  }
  /** Each pair's times on the progress line, the first first, so the spread behind a median shows. */
  const pairLine = (what: string, i: number, raw: Timing[], tool: Timing[]) =>
    log(`${what} ${i + 1}: ${i % 2 === 0 ? `raw ${raw.at(-1)?.ms.toFixed(0)} ms, tool ${tool.at(-1)?.ms.toFixed(0)} ms` : `tool ${tool.at(-1)?.ms.toFixed(0)} ms, raw ${raw.at(-1)?.ms.toFixed(0)} ms`}`)
  const standInBytes = await withClient(source, async (c) => Number((await c.query<{ n: string }>('select pg_database_size(current_database()) as n')).rows[0]?.n))
  // The libpq tools get the same server as the URLs (password, host and port included).
  const url = new URL(server)
  const env = { ...process.env, PGHOST: url.hostname, PGPORT: url.port || '5432', PGUSER: decodeURIComponent(url.username || 'postgres'), PGPASSWORD: decodeURIComponent(url.password), PGDATABASE: 'postgres' }
  const figures: Figure[] = []

  if (options.dump) {
    const raw: Timing[] = []
    const tool: Timing[] = []
    for (let i = 0; i < options.dumpRuns; i++) {
      await inTurn(i, [
        async () => {
          log(`dump ${i + 1}/${options.dumpRuns}: raw pg_dump | psql`)
          raw.push(timedShell(`createdb bench_raw_dump && pg_dump --no-owner --no-acl --dbname ${q(source)} | psql -X -q -v ON_ERROR_STOP=1 --single-transaction --dbname bench_raw_dump`, env))
          await drop('bench_raw_dump')
        },
        async () => {
          log(`dump ${i + 1}/${options.dumpRuns}: migrate clone create --strategy dump`)
          tool.push(await timed(() => createClone({ from: source, name: 'directus_gov_test_bench', proposal: options.proposal, strategy: 'dump' })))
          await drop('directus_gov_test_bench')
        },
      ])
      pairLine('dump', i, raw, tool)
    }
    figures.push(figure('clone', 'clone create --strategy dump', medianOf(tool), 'pg_dump | psql', medianOf(raw), 1.1))
  } else log('dump: skipped (no pg_dump that reaches this server; run against a PostgreSQL 15 cluster)')

  const raw: Timing[] = []
  const tool: Timing[] = []
  for (let i = 0; i < options.runs; i++) {
    log(`template ${i + 1}/${options.runs}`)
    await inTurn(i, [
      async () => {
        raw.push(timedShell('createdb -T directus_bench -S FILE_COPY bench_raw_copy', env))
        await drop('bench_raw_copy')
      },
      async () => {
        tool.push(await timed(() => createClone({ from: source, name: 'directus_gov_test_bench', proposal: options.proposal, strategy: 'template' })))
        await drop('directus_gov_test_bench')
      },
    ])
    pairLine('template', i, raw, tool)
  }
  // The clone the proof and reset rows use, made once more outside the timings. Each timed copy's
  // database was dropped before the next copy, raw or tool: a copy made while the last one's
  // gigabyte still stands took 2.4–4.4 s here against 1.1–1.4 s after a drop.
  await createClone({ from: source, name: 'directus_gov_test_bench', proposal: options.proposal, strategy: 'template' })
  figures.push(figure('clone', 'clone create --strategy template', medianOf(tool), 'createdb -T … -S FILE_COPY', medianOf(raw), 1.3))

  // What the template clone does beyond the copy is mostly its proof: the catalog snapshot with
  // a content hash of every table. Against a full read of the same clone, a count of every table
  // by a sequential scan (an index-only scan of the primary key would skip the rows): the floor
  // of any proof that reads each row once.
  const clone = withDatabase(server, 'directus_gov_test_bench')
  const rawRead: Timing[] = []
  const toolRead: Timing[] = []
  const countEach = [
    'set enable_indexonlyscan = off;',
    'set enable_indexscan = off;',
    'set enable_bitmapscan = off;',
    `select format('select count(*) from %s', c.oid::regclass) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema', 'gov_migrate') \\gexec`,
  ].join('\n')
  for (let i = 0; i < options.runs; i++) {
    log(`content hash ${i + 1}/${options.runs}`)
    rawRead.push(timedShell(`printf '%s\\n' ${q(countEach)} | psql -X -q -o /dev/null --dbname directus_gov_test_bench`, env))
    const { db, close } = openDatabase(clone, { policy: 'clone', max: 1 })
    try {
      toolRead.push(await timed(() => readCatalog(db)))
    } finally {
      await close()
    }
  }
  figures.push(figure('clone', "clone create's proof: catalog snapshot and content hash", medianOf(toolRead), 'count(*) of every table (psql)', medianOf(rawRead), null))
  await snapshotClone(clone)
  const golden = `${databaseOf(clone)}_golden`
  const rawReset: Timing[] = []
  const toolReset: Timing[] = []
  timedShell(`createdb -T ${golden} -S FILE_COPY bench_raw_copy`, env)
  for (let i = 0; i < options.runs; i++) {
    log(`reset ${i + 1}/${options.runs}`)
    await inTurn(i, [
      async () => void rawReset.push(timedShell(`dropdb --force bench_raw_copy && createdb -T ${golden} -S FILE_COPY bench_raw_copy`, env)),
      async () => void toolReset.push(await timed(() => resetClone(clone))),
    ])
    pairLine('reset', i, rawReset, toolReset)
  }
  figures.push(figure('clone', 'clone reset', medianOf(toolReset), 'dropdb + createdb -T golden -S FILE_COPY', medianOf(rawReset), 1.2))
  // The reset clone is still whole: its fingerprint is the one it was made with.
  await fingerprintOf(clone, options.proposal)
  return { figures, standInBytes, cleanup }
}
