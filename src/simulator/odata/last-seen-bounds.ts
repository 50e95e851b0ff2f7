import type { FilterNode } from '../../mde/odata/filter-ast.js';
import { parseFilter } from '../../mde/odata/filter-parser.js';

/** A range of epoch milliseconds, both ends inclusive; either may be open. */
export interface MsRange {
  from?: number;
  to?: number;
}

/**
 * The range a `$filter` puts on one datetime property through comparisons joined by `and` at its top
 * level (`lastSeen gt X and lastSeen le Y`), widened to whole milliseconds. Only a pre-filter for
 * the simulator, so rows outside it need not be produced at all (MDE answers such a filter from an
 * index, docs/mde-api.md#reading-strategy); the full filter still decides. Undefined when the filter gives no
 * bound or does not parse (the normal path then reports it).
 */
export function datetimeBounds(filter: string, property: string): MsRange | undefined {
  let root: FilterNode;
  try {
    root = parseFilter(filter);
  } catch {
    return undefined;
  }
  const range: MsRange = {};
  const visit = (node: FilterNode): void => {
    if (node.kind === 'and') {
      visit(node.left);
      visit(node.right);
      return;
    }
    if (node.kind !== 'compare') return;
    const { left, right, op } = node;
    if (left.kind !== 'member' || left.path.length !== 1) return;
    if (left.path[0]!.toLowerCase() !== property.toLowerCase()) return;
    if (right.kind !== 'literal' || right.literal.type !== 'datetime') return;
    const ms = right.literal.value.ms;
    // gt and ge keep rows at or after the literal's millisecond; lt and le at or before the next one.
    if (op === 'gt' || op === 'ge') range.from = Math.max(range.from ?? -Infinity, ms);
    else if (op === 'lt' || op === 'le') range.to = Math.min(range.to ?? Infinity, ms + 1);
    else if (op === 'eq') {
      range.from = Math.max(range.from ?? -Infinity, ms);
      range.to = Math.min(range.to ?? Infinity, ms + 1);
    }
  };
  visit(root);
  return range.from === undefined && range.to === undefined ? undefined : range;
}
