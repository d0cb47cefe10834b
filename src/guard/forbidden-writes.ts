import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { RefusedError } from '../errors.ts'

/** Tables no query of this tool may ever write (DOMAIN.md, "Forbidden everywhere"). */
export const FORBIDDEN_TABLES = ['os_proposal_approvals'] as const

const FIX = 'approvals are a human act recorded by the ratification process; this tool only reads them'

function refuse(table: string): never {
  throw new RefusedError(`refused: a write to ${table} is forbidden everywhere`, FIX)
}

const forbiddenSql = new RegExp(
  String.raw`\b(insert\s+into|merge\s+into|update|delete\s+from|truncate(\s+table)?|alter\s+table|drop\s+table(\s+if\s+exists)?|copy)\s+(only\s+)?("?\w+"?\s*\.\s*)?"?(?<table>${FORBIDDEN_TABLES.join('|')})\b`,
  'i',
)

/**
 * The text check behind every connection: raw SQL and `executeQuery(CompiledQuery)`
 * skip Kysely plugins, so the guarded pool runs this on each statement it sends.
 */
export function assertNoForbiddenWrite(sqlText: string): void {
  const match = forbiddenSql.exec(sqlText)
  if (match) refuse(match.groups?.table ?? FORBIDDEN_TABLES[0])
}

function targetName(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined
  const n = node as { kind?: string; table?: unknown; identifier?: { name?: string }; node?: unknown; froms?: unknown[] }
  if (n.kind === 'TableNode') return (n.table as { identifier?: { name?: string } } | undefined)?.identifier?.name
  if (n.kind === 'AliasNode') return targetName(n.node)
  if (n.kind === 'FromNode') return n.froms?.map(targetName).find((name) => name !== undefined)
  return undefined
}

/**
 * Rejects, while the query is still a tree, any insert, update, delete or merge
 * whose target is a forbidden table. Synchronous by Kysely's contract.
 */
export class ForbiddenWritesPlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const target =
      node.kind === 'InsertQueryNode'
        ? targetName(node.into)
        : node.kind === 'UpdateQueryNode'
          ? targetName(node.table)
          : node.kind === 'DeleteQueryNode'
            ? targetName(node.from)
            : node.kind === 'MergeQueryNode'
              ? targetName(node.into)
              : undefined
    if (target && (FORBIDDEN_TABLES as readonly string[]).includes(target)) refuse(target)
    return node
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result
  }
}
