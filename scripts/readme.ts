/**
 * `npm run readme`: regenerates the generated blocks of README.md from the tool itself.
 * `--check` exits 1 when the README is stale (the suite runs it).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

const README = resolve(import.meta.dirname, '../README.md')
const BIN = resolve(import.meta.dirname, '../bin/migrate.js')

function cli(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '100' } }).trimEnd()
}

const HELP_COMMANDS = [[], ['up'], ['down'], ['status'], ['verify'], ['plan'], ['diff'], ['new'], ['packet'], ['stages'], ['rehearse'], ['report'], ['fixture'], ['clone', 'create'], ['clone', 'list'], ['clone', 'snapshot'], ['clone', 'reset'], ['clone', 'drop'], ['fingerprint'], ['demo'], ['server']]

export function blocks(): Record<string, string> {
  const help = HELP_COMMANDS.map((args) => ['```', `$ migrate ${[...args, '--help'].join(' ')}`, cli([...args, '--help']), '```'].join('\n'))
  return { help: help.join('\n\n'), stages: cli(['stages', '--md']) }
}

export function render(text: string): string {
  let out = text
  for (const [name, body] of Object.entries(blocks())) {
    const pattern = new RegExp(`(<!-- generated:${name} [^>]*-->)[\\s\\S]*?(<!-- /generated:${name} -->)`)
    out = out.replace(pattern, (_, open: string, close: string) => `${open}\n${body}\n${close}`)
  }
  return out
}

const current = readFileSync(README, 'utf8')
const fresh = render(current)
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    console.error('README.md is stale: run `npm run readme` and commit the result')
    process.exit(1)
  }
  console.log('README.md is up to date')
} else {
  writeFileSync(README, fresh)
}
