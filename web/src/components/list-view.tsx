import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { api, type ListPage, withQuery } from '../api';
import { navigate, useLocation } from '../router';
import { QueryBox } from './query-box';
import { Empty, ErrorNote } from './states';
import { labelOf, Value } from './value';

export type Row = Record<string, unknown>;

export interface Column {
  field: string;
  label?: string;
  render?: (row: Row) => ReactNode;
}

export interface ListViewProps {
  /** The list's URL segment: /api/{entity}. */
  entity: string;
  title: string;
  /** Columns shown until the user chooses others. */
  columns: Column[];
  /** Renders a cell of a chosen column the generic way unless a column says otherwise. */
  rowKey?: (row: Row) => string;
  defaultSort?: string;
  pageSize?: number;
  intro?: ReactNode;
  /** A query shown as the input's example. */
  example?: string;
}

function storedColumns(entity: string): string[] | undefined {
  try {
    const raw = window.localStorage.getItem(`mdec.columns.${entity}`);
    const parsed = raw ? (JSON.parse(raw) as unknown) : undefined;
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A server-side list (docs/api.md#lists): the query and the sort live in the address (so a view can be
 * shared), pages are fetched with the cursor of the previous one (keyset paging: any page costs what the
 * first does), columns are chosen from every field the records carry, and "Export CSV" downloads every
 * record matching the current query.
 */
export function ListView({
  entity,
  title,
  columns,
  rowKey,
  defaultSort,
  pageSize = 50,
  intro,
  example,
}: ListViewProps) {
  const { path, search } = useLocation();
  const query = search.get('q') ?? '';
  const sort = search.get('sort') ?? defaultSort ?? '';
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors.at(-1);
  const [chosen, setChosen] = useState<string[]>(() => storedColumns(entity) ?? columns.map((c) => c.field));
  // A new query or sort starts again from the first page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: query and sort are the triggers
  useEffect(() => setCursors([undefined]), [query, sort]);

  const page = useQuery({
    queryKey: ['list', entity, query, sort, cursor, pageSize],
    queryFn: ({ signal }) =>
      api<ListPage>(withQuery(`/api/${entity}`, { query, sort, cursor, limit: pageSize }), { signal }),
    placeholderData: keepPreviousData,
  });

  const setParam = (changes: Record<string, string>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const text = next.toString();
    navigate(text ? `${path}?${text}` : path, { replace: true });
  };
  const chooseColumns = (fields: string[]) => {
    setChosen(fields);
    window.localStorage.setItem(`mdec.columns.${entity}`, JSON.stringify(fields));
  };

  const byField = new Map(columns.map((c) => [c.field, c]));
  const available = [...new Set([...columns.map((c) => c.field), ...Object.keys(page.data?.items[0] ?? {})])];
  const shown: Column[] = chosen.map((f) => byField.get(f) ?? { field: f });
  const first = (cursors.length - 1) * pageSize;
  const items = page.data?.items ?? [];

  return (
    <section aria-labelledby={`${entity}-title`}>
      <h1 id={`${entity}-title`}>{title}</h1>
      {intro}
      <div className="toolbar">
        <QueryBox
          key={query}
          entity={entity}
          value={query}
          example={example}
          onSubmit={(q) => setParam({ q })}
        />
        <ColumnChooser available={available} chosen={chosen} onChange={chooseColumns} />
        <a
          className="button secondary"
          href={withQuery(`/api/${entity}/export`, { format: 'csv', query })}
          download={`${entity}.csv`}
        >
          Export CSV
        </a>
      </div>
      {page.error ? (
        <ErrorNote error={page.error} title="The list could not be read" />
      ) : (
        <>
          <p className="list-status" aria-live="polite">
            {page.isPending
              ? 'Loading…'
              : items.length === 0
                ? ''
                : `${first + 1}–${first + items.length} of ${totalLabel(page.data, first + items.length)}`}
            {page.isFetching && !page.isPending ? ' (updating)' : ''}
          </p>
          {!page.isPending && items.length === 0 ? (
            <Empty>{query ? 'Nothing matches this query.' : 'Nothing here yet: run a sync first.'}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    {shown.map((c) => (
                      <th
                        key={c.field}
                        scope="col"
                        aria-sort={
                          sort === c.field ? 'ascending' : sort === `-${c.field}` ? 'descending' : undefined
                        }
                      >
                        <button
                          type="button"
                          className="sort"
                          onClick={() => setParam({ sort: sort === `-${c.field}` ? c.field : `-${c.field}` })}
                        >
                          {c.label ?? labelOf(c.field)}
                          <span aria-hidden="true">
                            {sort === c.field ? ' ▲' : sort === `-${c.field}` ? ' ▼' : ''}
                          </span>
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {items.map((row, i) => (
                    <tr key={rowKey ? rowKey(row) : String(row.id ?? i)}>
                      {shown.map((c) => (
                        <td key={c.field}>{c.render ? c.render(row) : <Value value={row[c.field]} />}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav className="pager" aria-label={`${title} pages`}>
            <button
              type="button"
              disabled={cursors.length <= 1}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={!page.data?.nextCursor || page.isFetching}
              onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function ColumnChooser({
  available,
  chosen,
  onChange,
}: {
  available: string[];
  chosen: string[];
  onChange: (fields: string[]) => void;
}) {
  return (
    <details className="column-chooser">
      <summary>Columns ({chosen.length})</summary>
      <fieldset>
        <legend>Shown columns</legend>
        {available.map((field) => (
          <label key={field}>
            <input
              type="checkbox"
              checked={chosen.includes(field)}
              onChange={(e) =>
                onChange(
                  e.target.checked
                    ? available.filter((f) => f === field || chosen.includes(f))
                    : chosen.filter((f) => f !== field),
                )
              }
            />
            {labelOf(field)}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

/**
 * The list's size as the status line says it. An inexact total (an estimate, or the count of a
 * superset the server filtered further) reads "about N" until the last page, where the rows seen so
 * far are the exact count.
 */
function totalLabel(
  data: { total?: number; totalExact?: boolean; nextCursor?: string | null } | undefined,
  seen: number,
): string {
  if (!data || data.totalExact !== false) return String(data?.total ?? 0);
  if (!data.nextCursor) return String(seen);
  return `about ${Math.max(data.total ?? 0, seen)}`;
}
