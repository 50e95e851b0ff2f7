import { type FormEvent, useState } from 'react';
import { ApiError, messageOf } from '../api';
import { useSession } from '../session';

/** Sign-in with the API's own words for what went wrong, and how long to wait when throttled. */
export function SignInPage() {
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username, password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429)
        setError(
          `Too many failed sign-ins. Wait ${err.retryAfter ? `${Math.ceil(err.retryAfter / 60)} minute(s)` : 'a while'} and try again.`,
        );
      else if (err instanceof ApiError && err.status === 401) setError('Wrong user name or password.');
      else if (err instanceof ApiError && err.status === 400) setError('Enter a user name and a password.');
      else setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title" noValidate>
        <h1 id="sign-in-title">Sign in to mde-connector</h1>
        <label htmlFor="username">User name</label>
        <input
          id="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        {error && (
          <p className="error-note" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          Accounts are made with <code>mdec user add</code>; <code>mdec demo</code> prints a first one.
        </p>
      </form>
    </main>
  );
}
