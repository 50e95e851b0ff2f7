import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { connectorsKey, listConnectors } from '../connectors';
import { navigate, useLocation } from '../router';
import { Empty, ErrorNote, Loading } from './states';

/**
 * Picks the connector a per-connector page shows (mapping, scoring): `?connector=NAME` in the address,
 * the first connector otherwise. Renders the page for the chosen one.
 */
export function ConnectorPicker({ children }: { children: (name: string) => React.ReactNode }) {
  const { path, search } = useLocation();
  const id = useId();
  const connectors = useQuery({ queryKey: connectorsKey, queryFn: listConnectors });
  if (connectors.isPending) return <Loading />;
  if (connectors.error) return <ErrorNote error={connectors.error} />;
  const names = connectors.data.items.map((c) => c.name);
  if (names.length === 0) return <Empty>No connector yet: add one under Integrations.</Empty>;
  const wanted = search.get('connector');
  const name = wanted && names.includes(wanted) ? wanted : names[0]!;
  return (
    <>
      <div className="field inline">
        <label htmlFor={id}>Connector</label>
        <select
          id={id}
          value={name}
          onChange={(e) =>
            navigate(`${path}?connector=${encodeURIComponent(e.target.value)}`, { replace: true })
          }
        >
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      {children(name)}
    </>
  );
}
