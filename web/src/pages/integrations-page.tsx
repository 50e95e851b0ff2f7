import { useQuery } from '@tanstack/react-query';
import { Empty, ErrorNote, Loading } from '../components/states';
import { Time } from '../components/time';
import { connectorsKey, listConnectors } from '../connectors';
import { Link } from '../router';
import { useCan } from '../session';
import { ConnectorWizard } from './connector-wizard';
import { StateBadge } from './run-parts';

/**
 * Integrations: the Microsoft Defender tile with its connectors, and the connector wizard for a new
 * connector (`/integrations/new`) or an existing one (`/connectors/NAME/edit`).
 */
export function IntegrationsPage({ wizard }: { wizard?: string }) {
  const isAdmin = useCan('admin');
  const connectors = useQuery({ queryKey: connectorsKey, queryFn: listConnectors });
  if (wizard) return <ConnectorWizard existing={wizard === 'new' ? undefined : wizard} />;
  return (
    <section aria-labelledby="integrations-title">
      <h1 id="integrations-title">Integrations</h1>
      <article className="tile" aria-labelledby="defender-tile">
        <div className="tile-head">
          <span className="tile-logo" aria-hidden="true">
            MDE
          </span>
          <div>
            <h2 id="defender-tile">Microsoft Defender for Endpoint</h2>
            <p className="muted">
              Devices, vulnerabilities, software, security recommendations and alerts from one or many
              Defender tenants, kept current on a schedule.
            </p>
          </div>
          {isAdmin && (
            <Link className="button" href="/integrations/new">
              Add connector
            </Link>
          )}
        </div>
        {connectors.isPending ? (
          <Loading />
        ) : connectors.error ? (
          <ErrorNote error={connectors.error} />
        ) : connectors.data.items.length === 0 ? (
          <Empty>
            No connector yet. {isAdmin ? 'Add one to bring in your first tenant.' : 'An admin can add one.'}
          </Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Defender connectors</caption>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">State</th>
                <th scope="col">Active</th>
                <th scope="col">Schedule (UTC)</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {connectors.data.items.map((c) => (
                <tr key={c.name}>
                  <td>
                    <Link href={`/connectors/${encodeURIComponent(c.name)}`}>{c.name}</Link>
                  </td>
                  <td>
                    <StateBadge state={c.state} />
                  </td>
                  <td>{c.active ? 'Yes' : 'No'}</td>
                  <td>{c.schedule ?? 'manual only'}</td>
                  <td>
                    <Time value={c.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </article>
    </section>
  );
}
