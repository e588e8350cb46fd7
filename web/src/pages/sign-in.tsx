/** Sign-in: the API token goes to the server once and turns into a session cookie. */
import { useState } from 'preact/hooks';
import { client, remember } from '../api.js';
import { navigate } from '../router.js';
import { ErrorNote } from '../ui.js';

export function SignInPage({ next }: { next: string }): preact.JSX.Element {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event): void => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = form.elements.namedItem('token') as HTMLInputElement;
    setBusy(true);
    client.signIn(field.value.trim()).then((session) => {
      field.value = '';
      remember(session);
      // Only a path of this site: `next` comes from the URL.
      navigate(/^\/(?![/\\])/.test(next) && !next.includes('\\') ? next : '/pipelines', true);
    }, (failure: unknown) => {
      setBusy(false);
      setError(failure);
    });
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to nagare</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required spellcheck={false} />
        <p class="hint">The admin token is in <code>initial-credentials.json</code> in the server's data directory. The page keeps a session cookie, never the token.</p>
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {error !== undefined && <ErrorNote error={error} />}
      </form>
    </main>
  );
}
