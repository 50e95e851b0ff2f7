import type { ReactNode } from 'react';
import { Empty } from '../components/states';
import { Value } from '../components/value';

export type Row = Record<string, unknown>;

/** A small table of records already at hand: [field, heading, render?] per column. */
export function RowsTable({
  rows,
  columns,
  empty,
}: {
  rows: Row[];
  columns: Array<[string, string, ((row: Row) => ReactNode)?]>;
  empty: string;
}) {
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map(([field, heading]) => (
              <th key={field} scope="col">
                {heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={String(r.id ?? i)}>
              {columns.map(([field, , render]) => (
                <td key={field}>{render ? render(r) : <Value value={r[field]} />}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
