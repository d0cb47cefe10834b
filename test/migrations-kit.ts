import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { ROOT } from './helpers.ts'

/**
 * A throwaway project folder: kysely.config.ts plus a copy of the real migrations
 * (imports pointed at this repository, or with `withSources` at a copy of src/), to which
 * a test adds its own files.
 */
export function projectCopy(options: { upTo?: string; withSources?: boolean } = {}): { dir: string; config: string; add: (file: string, body: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gov-migrate-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true })
  // With its own copy of src/, the project's pipeline modules can be edited by a test.
  if (options.withSources) cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true })
  const rewrite = (body: string) => (options.withSources ? body : body.replaceAll("'../src/", `'${ROOT}/src/`))
  for (const file of readdirSync(join(dir, 'migrations'))) {
    const path = join(dir, 'migrations', file)
    if (options.upTo && file.slice(0, 4) > options.upTo) {
      rmSync(path)
      continue
    }
    writeFileSync(path, rewrite(readFileSync(path, 'utf8')))
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  const config = join(dir, 'kysely.config.ts')
  writeFileSync(config, `export default { migrationsDir: 'migrations', lockTimeoutMs: 20000 }\n`)
  return {
    dir,
    config,
    add: (file, body) => writeFileSync(join(dir, 'migrations', file), rewrite(body)),
  }
}

/**
 * A scratch copy of the whole project (sources, migrations, generated types, scripts, config),
 * node_modules linked, for tests that follow the README as a new user would and change files.
 */
export function projectScratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gov-migrate-scratch-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  for (const entry of ['src', 'migrations', 'scripts', 'bin', 'package.json', 'tsconfig.json', 'kysely.config.ts', 'eslint.config.js']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true })
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  return dir
}
