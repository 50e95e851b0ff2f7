import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useId, useRef, useState } from 'react';
import { api } from '../api';

interface QueryFields {
  entity: string;
  fields: Array<{ name: string; type: string }>;
  freeText: string[];
}

/** The word being typed at the end of the query, if it could still be a field name. */
function partialField(text: string): string | undefined {
  const last = /(^|[\s(!-])([A-Za-z]*)$/.exec(text);
  return last ? last[2] : undefined;
}

/**
 * The query language input (docs/queries.md) with completion of field names from
 * /api/query-fields: typing `ris` offers `risk:` and `riskScore:`; arrow keys and Enter pick one.
 */
export function QueryBox({
  entity,
  value,
  example,
  onSubmit,
}: {
  entity: string;
  value: string;
  example?: string | undefined;
  onSubmit: (query: string) => void;
}) {
  const [text, setText] = useState(value);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const fields = useQuery({
    queryKey: ['query-fields', entity],
    queryFn: () => api<QueryFields>(`/api/query-fields?entity=${entity}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const partial = partialField(text);
  const suggestions =
    open && partial !== undefined && partial.length > 0
      ? (fields.data?.fields ?? [])
          .filter((f) => f.name.toLowerCase().startsWith(partial.toLowerCase()) && f.name !== partial)
          .slice(0, 8)
      : [];

  const complete = (name: string) => {
    const next = `${text.slice(0, text.length - (partial?.length ?? 0))}${name}:`;
    setText(next);
    setActive(-1);
    setOpen(false);
    input.current?.focus();
  };
  const keyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.length > 0 && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + suggestions.length) % suggestions.length);
    } else if (e.key === 'Enter' && active >= 0 && suggestions[active]) {
      e.preventDefault();
      complete(suggestions[active].name);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };

  return (
    <form
      className="query-box"
      aria-label="Filter the list"
      onSubmit={(e) => {
        e.preventDefault();
        setOpen(false);
        onSubmit(text.trim());
      }}
    >
      <label htmlFor={`${listId}-input`}>Query</label>
      <div className="combo">
        <input
          id={`${listId}-input`}
          ref={input}
          type="search"
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
          placeholder={`${example ? `e.g. ${example}  ` : ''}(field:value; a bare word searches names)`}
          value={text}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={keyDown}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
        />
        {suggestions.length > 0 && (
          <div id={listId} role="listbox" aria-label="Field names" className="suggestions">
            {suggestions.map((f, i) => (
              <div
                key={f.name}
                tabIndex={-1}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  complete(f.name);
                }}
              >
                <span>{f.name}:</span> <span className="muted">{f.type}</span>
              </div>
            ))}
          </div>
        )}
      </div>
      <button type="submit">Apply</button>
    </form>
  );
}
