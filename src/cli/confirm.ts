import { createInterface } from 'node:readline/promises'
import { RefusedError } from '../errors.ts'

/**
 * The second word a destructive command needs: `--yes`, or, on a terminal, a typed `y`.
 * Without a terminal and without `--yes` the command is refused before it changes anything.
 */
export function confirmer(yes: boolean | undefined): (what: string) => Promise<void> {
  return async (what) => {
    if (yes === true) return
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new RefusedError(`refused: ${what} needs a second word, and there is no terminal to ask on`, 'pass --yes to confirm')
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr })
    try {
      const answer = await prompt.question(`${what}? [y/N] `)
      if (!/^y(es)?$/i.test(answer.trim())) throw new RefusedError(`refused: ${what}: not confirmed`, 'answer y, or pass --yes')
    } finally {
      prompt.close()
    }
  }
}
