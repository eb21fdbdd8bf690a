// The sign-in form: a Keystone token or a Fulcrum API key, checked against the API before it
// is kept (for this browser tab only).
import { useState } from 'preact/hooks';
import { probeSession, type Session } from './session.ts';

export function Login({ onSignedIn, expired }: { onSignedIn: (token: string, session: Session) => void; expired: boolean }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(expired ? 'Your session ended; sign in again.' : null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return;
    setBusy(true);
    try {
      const session = await probeSession(value);
      if (session) onSignedIn(value, session);
      else setProblem('The server did not accept this token.');
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} data-testid="login-form">
        <div class="brand big">
          <span class="logo">◆</span> Fulcrum
        </div>
        <p class="sub">Load balancing as a service</p>
        <label for="token">Keystone token or API key</label>
        <input id="token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        {problem && <p class="note error" role="alert">{problem}</p>}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="hint">Sent as X-Auth-Token, as the OpenStack clients do. Create a key with <code>fulcrum apikey create</code>.</p>
      </form>
    </main>
  );
}
