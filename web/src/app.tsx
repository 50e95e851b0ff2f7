import { type ReactNode, useEffect, useRef } from 'react';
import { Loading } from './components/states';
import { AlertsPage } from './pages/alerts-page';
import { AuditPage } from './pages/audit-page';
import { ConnectorPage } from './pages/connector-page';
import { DashboardPage } from './pages/dashboard-page';
import { FindingsPage } from './pages/findings-page';
import { HostPage } from './pages/host-page';
import { HostsPage } from './pages/hosts-page';
import { IntegrationsPage } from './pages/integrations-page';
import { MappingPage } from './pages/mapping-page';
import { ProfilesPage } from './pages/profiles-page';
import { RunPage } from './pages/run-page';
import { ScoringPage } from './pages/scoring-page';
import { SignInPage } from './pages/sign-in-page';
import { SoftwarePage } from './pages/software-page';
import { UsersPage } from './pages/users-page';
import { VulnerabilitiesPage } from './pages/vulnerabilities-page';
import { Link, match, useLocation } from './router';
import { type Role, useCan, useSession } from './session';

interface PageRoute {
  pattern: string;
  render: (params: Record<string, string>) => ReactNode;
}

const ROUTES: PageRoute[] = [
  { pattern: '/', render: () => <DashboardPage /> },
  { pattern: '/integrations', render: () => <IntegrationsPage /> },
  { pattern: '/integrations/new', render: () => <IntegrationsPage wizard="new" /> },
  { pattern: '/connectors/:name', render: (p) => <ConnectorPage name={p.name!} /> },
  { pattern: '/connectors/:name/edit', render: (p) => <IntegrationsPage wizard={p.name!} /> },
  { pattern: '/runs/:id', render: (p) => <RunPage id={Number(p.id)} /> },
  { pattern: '/hosts', render: () => <HostsPage /> },
  { pattern: '/hosts/:id', render: (p) => <HostPage id={Number(p.id)} /> },
  { pattern: '/findings', render: () => <FindingsPage /> },
  { pattern: '/vulnerabilities', render: () => <VulnerabilitiesPage /> },
  { pattern: '/vulnerabilities/:cve', render: (p) => <VulnerabilitiesPage cve={p.cve!} /> },
  { pattern: '/software', render: () => <SoftwarePage /> },
  { pattern: '/alerts', render: () => <AlertsPage /> },
  { pattern: '/profiles', render: () => <ProfilesPage /> },
  { pattern: '/mapping', render: () => <MappingPage /> },
  { pattern: '/scoring', render: () => <ScoringPage /> },
  { pattern: '/users', render: () => <UsersPage /> },
  { pattern: '/audit', render: () => <AuditPage /> },
];

const NAV: Array<{ href: string; label: string; role?: Role }> = [
  { href: '/', label: 'Dashboard' },
  { href: '/integrations', label: 'Integrations' },
  { href: '/hosts', label: 'Hosts' },
  { href: '/findings', label: 'Findings' },
  { href: '/vulnerabilities', label: 'Vulnerabilities' },
  { href: '/software', label: 'Software' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/profiles', label: 'Profiles' },
  { href: '/mapping', label: 'Mapping' },
  { href: '/scoring', label: 'Scoring map' },
  { href: '/users', label: 'Users and tokens', role: 'admin' },
  { href: '/audit', label: 'Audit log' },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

export function App() {
  const { user } = useSession();
  if (user === undefined) return <Loading what="Starting" />;
  if (user === null) return <SignInPage />;
  return <Layout />;
}

function Layout() {
  const { path } = useLocation();
  const { user, signOut } = useSession();
  const isAdmin = useCan('admin');
  const main = useRef<HTMLElement>(null);
  const route = ROUTES.map((r) => ({ r, params: match(r.pattern, path) })).find((x) => x.params);
  const title = NAV.find((n) => isCurrent(n.href, path))?.label ?? 'mde-connector';

  // A new page: its title in the tab, and focus to its content for screen-reader and keyboard users.
  useEffect(() => {
    document.title = `${title} · mde-connector`;
    main.current?.focus();
  }, [title]);

  return (
    <div className="layout">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">mde-connector</span>
        <span className="who">
          {user?.name} <span className="role">({user?.role})</span>
        </span>
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.role || (n.role === 'admin' && isAdmin)).map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={isCurrent(n.href, path) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {route ? (
          route.r.render(route.params!)
        ) : (
          <section>
            <h1>Not found</h1>
            <p>
              No page at this address. <Link href="/">Go to the dashboard</Link>.
            </p>
          </section>
        )}
      </main>
    </div>
  );
}
