import { Parley, type Account } from '@parley/sdk';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

/**
 * The signed-in operator: an API key kept in sessionStorage (this tab, until it closes; never in a URL or
 * localStorage) and the API client made with it. The api serves the console, so the API is this page's own origin.
 */
const STORAGE_KEY = 'parley.apiKey';

export interface Session {
  client: Parley;
  account: Account;
  signOut(): void;
}

interface SessionState {
  session: Session | null;
  /** Checks the key against the API (GET /v1/account) and keeps it when it works; throws the API's error otherwise. */
  signIn(apiKey: string): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function clientFor(apiKey: string): Parley {
  return new Parley({ apiKey, baseUrl: window.location.origin, maxRetries: 1 });
}

export function SessionProvider({ initial, children }: { initial: { apiKey: string; account: Account } | null; children: ReactNode }) {
  const [current, setCurrent] = useState(initial);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setCurrent(null);
  }, []);
  const signIn = useCallback(async (apiKey: string) => {
    const account = await clientFor(apiKey).account.retrieve();
    sessionStorage.setItem(STORAGE_KEY, apiKey);
    setCurrent({ apiKey, account });
  }, []);
  const value = useMemo<SessionState>(
    () => ({ session: current ? { client: clientFor(current.apiKey), account: current.account, signOut } : null, signIn }),
    [current, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The key this tab signed in with, checked again at load (it may have been revoked meanwhile). */
export async function restoreSession(): Promise<{ apiKey: string; account: Account } | null> {
  const apiKey = sessionStorage.getItem(STORAGE_KEY);
  if (!apiKey) return null;
  try {
    return { apiKey, account: await clientFor(apiKey).account.retrieve() };
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSessionState outside SessionProvider');
  return state;
}

/** The signed-in session: only pages under the shell use it, and the shell renders only when signed in. */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('not signed in');
  return session;
}
