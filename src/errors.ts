/**
 * Every error the tool raises on purpose says what happened and the exact fix.
 * The CLI prints `message` (one line) and maps the class to an exit code.
 */
export class GovMigrateError extends Error {
  override readonly name: string = 'GovMigrateError'
  constructor(
    message: string,
    /** The one thing the user should do next. */
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** A guard or gate refused: nothing ran. Exit code 3. */
export class RefusedError extends GovMigrateError {
  override readonly name: string = 'RefusedError'
}

/** The statement policy refused a statement before it reached the server. Exit 3 outside a migration. */
export class StatementRefusedError extends RefusedError {
  override readonly name = 'StatementRefusedError'
}

/** A migration failed; its transaction rolled back. Keeps id, direction and cause. */
export class MigrationError extends GovMigrateError {
  override readonly name = 'MigrationError'
  constructor(
    readonly migrationId: string,
    readonly direction: 'up' | 'down',
    cause: unknown,
    fix = 'fix the migration file and run the command again; nothing of this migration was committed',
  ) {
    super(`migration ${migrationId} (${direction}) failed: ${describe(cause)}`, fix, { cause })
  }
}

/** The text of any thrown value, on one line. */
export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s+/g, ' ').trim()
}
