import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { markedClone, ROOT, standIn } from '../helpers.ts'
import { projectScratch } from '../migrations-kit.ts'

/** The README's "Writing a stage" section as its code blocks, in order. */
function walk(): { lang: string; body: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('## Writing a stage')
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
  return [...section.matchAll(/^( *)```(\w+)\n([\s\S]*?)^\1```$/gm)].map((m) => ({
    lang: m[2] ?? '',
    body: (m[3] ?? '').replace(new RegExp(`^${m[1] ?? ''}`, 'gm'), ''),
  }))
}

describe('the README walk "Writing a stage"', () => {
  it('followed literally, makes a stage that creates a table and seeds a row, shown by diff and plan', async () => {
    const dir = projectScratch()
    const clone = await markedClone(await standIn())
    const env = {
      ...process.env,
      DATABASE_URL: clone,
      GIT_AUTHOR_NAME: 'walk',
      GIT_AUTHOR_EMAIL: 'walk@example.invalid',
      GIT_COMMITTER_NAME: 'walk',
      GIT_COMMITTER_EMAIL: 'walk@example.invalid',
    }
    spawnSync('git', ['init', '-q'], { cwd: dir })
    const outputs: string[] = []
    let created: string | undefined
    for (const block of walk()) {
      if (block.lang === 'ts') {
        assert.ok(created, 'the stage file exists before the README gives its content')
        writeFileSync(join(dir, created), block.body)
        continue
      }
      for (const line of block.body.split('\n').filter((l) => l.trim() !== '')) {
        // `npx migrate` runs the project's bin, bin/migrate.js: called directly, as npm would.
        const run = spawnSync('bash', ['-c', line.replace(/^npx migrate /, 'node bin/migrate.js ')], { cwd: dir, env, encoding: 'utf8' })
        assert.equal(run.status, 0, `${line}\n${run.stdout}\n${run.stderr}`)
        outputs.push(`$ ${line}\n${run.stdout}`)
        created ??= /^wrote (migrations\/\S+\.ts)$/m.exec(run.stdout)?.[1]
      }
    }
    const all = outputs.join('\n')
    const diff = outputs.find((o) => o.startsWith('$ npx migrate diff NT')) ?? ''
    assert.match(diff, /^\+export interface GovReviewNote \{$/m)
    assert.match(diff, /create table "gov_review_note"/)
    assert.match(diff, /insert into\s+"gov_review_note" \("body", "created_by"\)\s+values\s+\('first review note', 'CLONE_TEST_F6_SEED'\)/)
    assert.match(diff, /drop table "gov_review_note"/)
    assert.match(diff, /^- declared deltas: notes \+1$/m)
    assert.match(diff, /^- measured up: notes \+1$/m)
    const plan = outputs.find((o) => o.startsWith('$ npx migrate plan --to NT')) ?? ''
    assert.match(plan, /^\| 11 \| NT \| clone \| \+1 interface \(GovReviewNote\); changed DB \| notes \+1 \| none \|$/m)
    assert.match(plan, /'first review note'/)
    assert.match(readFileSync(join(dir, 'src/db/schema/0011-NT.ts'), 'utf8'), /^export interface GovReviewNote \{$/m)
    assert.match(all, /\$ git commit[\s\S]*2 files changed/)
  })
})
