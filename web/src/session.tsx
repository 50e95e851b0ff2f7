import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, api, onSignedOut, setCsrfToken } from './api';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export interface SignedInUser {
  name: string;
  role: Role;
}

interface SessionState {
  /** undefined while the console asks who is signed in; null when nobody is. */
  user: SignedInUser | null | undefined;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * Who is signed in. The UI hides what a role may not do (a viewer sees no action buttons), but the
 * server decides: every route checks the role again.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SignedInUser | null | undefined>(undefined);
  const queries = useQueryClient();

  useEffect(() => {
    api<{ user: SignedInUser; csrfToken?: string }>('/api/auth/me').then(
      (me) => {
        setCsrfToken(me.csrfToken);
        setUser(me.user);
      },
      () => setUser(null),
    );
    return onSignedOut(() => {
      setCsrfToken(undefined);
      setUser(null);
    });
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const answer = await api<{ user: SignedInUser; csrfToken: string }>('/api/auth/login', {
      method: 'POST',
      body: { username, password },
    });
    setCsrfToken(answer.csrfToken);
    setUser(answer.user);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/api/auth/logout', { method: 'POST' });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setCsrfToken(undefined);
    queries.clear();
    setUser(null);
  }, [queries]);

  return <SessionContext value={{ user, signIn, signOut }}>{children}</SessionContext>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** True when the signed-in user's role is at least `needed` (the API's rule, docs/api.md#roles). */
export function useCan(needed: Role): boolean {
  const { user } = useSession();
  return user ? ROLES.indexOf(user.role) >= ROLES.indexOf(needed) : false;
}
