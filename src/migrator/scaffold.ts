import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { LoadedConfig } from '../config/load-config.ts'
import { BASELINE_FILE, schemaDirOf } from '../db/schema-files.ts'
import { GovMigrateError } from '../errors.ts'
import type { Tier } from '../guard/guard.ts'
import { migrationsOf } from './load-migrations.ts'

export interface NewStageOptions {
  config: LoadedConfig
  id: string
  tier: Tier
  title: string
}

export interface NewStage {
  /** The migration file written, relative to the project. */
  file: string
  /** Its schema file: a copy of the schema before it until `npm run codegen` regenerates it. */
  schemaFile: string
  number: string
}

/** The first number of the production track; clone stages are numbered below it. */
const PRODUCTION_START = 101

function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'stage'
  )
}

/** The one template every stage starts from. */
export function stageTemplate(options: { id: string; tier: Tier; title: string; schemaFile: string }): string {
  const { id, tier, title, schemaFile } = options
  const production = tier === 'production'
  return `/**
 * ${production ? 'Tier' : 'Stage'} ${id} — ${title} (${tier}${production ? '; runs only with ospa ≥ 1' : ''}).
 *
 * What it changes, in words a reviewer understands: <which tables, views or rows, and why>.
 *${production ? ' Stop-gates: <the state it expects before any change>.\n *' : ''}
 * Expected: <the declared deltas below, in words>.
 * Down removes exactly what up added.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/${schemaFile}'

export default defineMigration<DB>({
  id: '${id}',
  title: ${JSON.stringify(title)},
  tier: '${tier}',
${production ? "  // The proposal whose approvals (ospa ≥ 1) open this tier's gate, reviewed with the tier.\n  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',\n" : ''}
  // Stop-gates: preconditions checked before any change, e.g. metricEquals('own', () => 0, 'nothing
  // owned yet') from ../src/pipeline/gates.ts.${production ? ' A production tier declares the state it expects.' : ''}
  gates: [],

  // Numbers this stage introduces, one per reading of a table or view it creates (the tool
  // measures them before and after up and down; 0 before the stage), e.g.
  // stageMetric<DB>('notes', 'gov_note', 'select count(*) from gov_note') from ../src/migrator/migration.ts.
  metrics: [],

  // Declared deltas: how up changes each number (down must change them by the negation).
  expect: () => ({}),

  // Checks \`migrate verify\` runs while this stage is applied, each check(name, expected, actual)
  // from ../src/verify/checks.ts; implied holds the numbers expected right after this stage. They
  // only read (production verify runs them too); writes that must be rejected go in tries().
  async verify() {
    return []
  },

  async up({ db }) {
    // db is typed against src/db/schema/${schemaFile}: what exists before this stage, plus
    // what it creates once \`npm run codegen\` has run.
    void db
  },

  async down({ db }) {
    void db
  },
})
`
}

/**
 * \`migrate new\`: writes the next stage of a track from the one template, numbered after the
 * last one of its track, and its schema file (a copy of the schema before it, so the project
 * type-checks at once; \`npm run codegen\` then regenerates it from a clone).
 */
export async function newStage(options: NewStageOptions): Promise<NewStage> {
  const { config, id, tier } = options
  const title = options.title.trim()
  if (!/^[A-Z][A-Z0-9]*$/.test(id)) throw new GovMigrateError(`"${id}" is not a stage id`, 'use capitals and digits starting with a letter, e.g. NT or T7')
  if (title.length === 0) throw new GovMigrateError('the stage has no title', 'pass --title "<what it does, for a reviewer>"')
  const loaded = await migrationsOf(config)
  const taken = loaded.find((m) => m.migration.id === id)
  if (taken) throw new GovMigrateError(`the id ${id} is taken by ${taken.name}`, 'choose another id')
  const track = loaded.filter((m) => m.migration.tier === tier)
  const last = track.at(-1)
  const next = last ? Number(last.name.slice(0, 4)) + 1 : tier === 'clone' ? 1 : PRODUCTION_START
  if (tier === 'clone' && next >= PRODUCTION_START) throw new GovMigrateError(`clone stages are numbered below ${PRODUCTION_START}`, 'renumber or merge stages')
  const number = String(next).padStart(4, '0')
  const dir = resolve(config.root, config.migrationsDir)
  const file = join(dir, `${number}-${id}-${slug(title)}.ts`)
  const schemaFile = `${number}-${id}.ts`
  const schemaDir = schemaDirOf(config)
  const schemaPath = join(schemaDir, schemaFile)
  for (const path of [file, schemaPath]) {
    if (existsSync(path)) throw new GovMigrateError(`${relative(config.root, path)} exists`, 'remove it or choose another id')
  }
  const before = last ? `${last.name.slice(0, 4)}-${last.migration.id}.ts` : BASELINE_FILE
  mkdirSync(schemaDir, { recursive: true })
  if (existsSync(join(schemaDir, before))) copyFileSync(join(schemaDir, before), schemaPath)
  writeFileSync(file, stageTemplate({ id, tier, title, schemaFile }))
  return { file: relative(config.root, file), schemaFile: relative(config.root, schemaPath), number }
}
