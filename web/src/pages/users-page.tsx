import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf } from '../api';
import { Dialog } from '../components/dialog';
import { ErrorNote, Loading } from '../components/states';
import { Time } from '../components/time';
import { ROLES, type Role, useSession } from '../session';

interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
}
interface Token {
  id: number;
  user: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Users and API tokens (admins). A new token is shown once, then only its first characters. */
export function UsersPage() {
  const queries = useQueryClient();
  const { user: me } = useSession();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<{ items: User[] }>('/api/users') });
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api<{ items: Token[] }>('/api/tokens') });
  const [error, setError] = useState<string>();
  const [newToken, setNewToken] = useState<string>();
  const [removing, setRemoving] = useState<string>();

  const change = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    }
    await queries.invalidateQueries({ queryKey: ['users'] });
    await queries.invalidateQueries({ queryKey: ['tokens'] });
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users and tokens</h1>
      {error && (
        <p className="error-note" role="alert">
          {error}
        </p>
      )}
      <h2>Users</h2>
      {users.isPending ? (
        <Loading />
      ) : users.error ? (
        <ErrorNote error={users.error} />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.name}`}
                    value={u.role}
                    onChange={(e) =>
                      void change(() =>
                        api(`/api/users/${encodeURIComponent(u.name)}`, {
                          method: 'PATCH',
                          body: { role: e.target.value },
                        }),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <Time value={u.createdAt} />
                </td>
                <td>
                  {u.name !== me?.name && (
                    <button type="button" className="small danger" onClick={() => setRemoving(u.name)}>
                      Remove {u.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddUser onAdd={(body) => change(() => api('/api/users', { method: 'POST', body }))} />

      <h2>API tokens</h2>
      {newToken && (
        <div className="ok-note" role="status">
          <p>
            New token (shown only now; scripts send it as <code>Authorization: Bearer …</code>):
          </p>
          <code className="token">{newToken}</code>
        </div>
      )}
      {tokens.isPending ? (
        <Loading />
      ) : tokens.error ? (
        <ErrorNote error={tokens.error} />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">User</th>
              <th scope="col">Label</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((t) => (
              <tr key={t.id}>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{t.user}</td>
                <td>{t.name}</td>
                <td>
                  <Time value={t.createdAt} />
                </td>
                <td>
                  <Time value={t.lastUsedAt} />
                </td>
                <td>
                  {t.revokedAt ? (
                    <span className="muted">revoked</span>
                  ) : (
                    <button
                      type="button"
                      className="small danger"
                      onClick={() => void change(() => api(`/api/tokens/${t.id}`, { method: 'DELETE' }))}
                    >
                      Revoke {t.prefix}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const label = new FormData(e.currentTarget).get('label');
          void change(async () => {
            const made = await api<{ token: string }>('/api/tokens', {
              method: 'POST',
              body: label ? { name: String(label) } : {},
            });
            setNewToken(made.token);
          });
        }}
      >
        <label htmlFor="token-label">Label of a new token for you</label>
        <input id="token-label" name="label" />
        <button type="submit">Create token</button>
      </form>
      <Dialog
        open={removing !== undefined}
        title={`Remove user ${removing ?? ''}?`}
        onClose={() => setRemoving(undefined)}
      >
        <p>Their sessions and tokens end at once.</p>
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={() => setRemoving(undefined)}>
            Keep
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              const name = removing;
              setRemoving(undefined);
              if (name)
                void change(() => api(`/api/users/${encodeURIComponent(name)}`, { method: 'DELETE' }));
            }}
          >
            Remove
          </button>
        </div>
      </Dialog>
    </section>
  );
}

function AddUser({
  onAdd,
}: {
  onAdd: (body: { name: string; role: Role; password: string }) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void onAdd({ name, role, password }).then(() => {
      setName('');
      setPassword('');
    });
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a user">
      <label htmlFor="new-user-name">Name</label>
      <input id="new-user-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      <label htmlFor="new-user-role">Role</label>
      <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <label htmlFor="new-user-password">Password (12 characters or more)</label>
      <input
        id="new-user-password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit">Add user</button>
    </form>
  );
}
