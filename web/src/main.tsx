/** The dashboard: a session check, the navigation and the page for the URL. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { caller, client, remember, restoreSession } from './api.js';
import { startLive, stopLive } from './live.js';
import { match, navigate, useLocation, type Location } from './router.js';
import { BuildPage } from './pages/build.js';
import { BuildBatchPage } from './pages/build-batch.js';
import { BuildsPage } from './pages/builds.js';
import { DeploymentPage } from './pages/deployment.js';
import { DeploymentsPage } from './pages/deployments.js';
import { ExecutionPage } from './pages/execution.js';
import { FleetPage } from './pages/fleet.js';
import { PipelinePage } from './pages/pipeline.js';
import { PipelinesPage } from './pages/pipelines.js';
import { RepositoriesPage, RepositoryPage } from './pages/repositories.js';
import { SignInPage } from './pages/sign-in.js';
import './styles.css';

const NAV = [
  ['/pipelines', 'Pipelines'],
  ['/builds', 'Builds'],
  ['/repositories', 'Repositories'],
  ['/deployments', 'Deployments'],
  ['/fleet', 'Fleet'],
] as const;

function Page({ location }: { location: Location }): preact.JSX.Element {
  const { path, query } = location;
  let params: Record<string, string> | undefined;
  if ((params = match('/pipelines/:name/executions/:id', path))) return <ExecutionPage name={params.name ?? ''} id={params.id ?? ''} />;
  if ((params = match('/pipelines/:name', path))) return <PipelinePage name={params.name ?? ''} />;
  if ((params = match('/builds/batches/:id', path))) return <BuildBatchPage id={params.id ?? ''} />;
  if ((params = match('/builds/:id', path))) return <BuildPage id={params.id ?? ''} />;
  if ((params = match('/deployments/:id', path))) return <DeploymentPage id={params.id ?? ''} />;
  if ((params = match('/repositories/:name', path))) return <RepositoryPage name={params.name ?? ''} />;
  if (match('/builds', path)) return <BuildsPage query={query} />;
  if (match('/repositories', path)) return <RepositoriesPage />;
  if (match('/deployments', path)) return <DeploymentsPage query={query} />;
  if (match('/fleet', path)) return <FleetPage query={query} />;
  return <PipelinesPage />;
}

function App(): preact.JSX.Element {
  const location = useLocation();
  const [ready, setReady] = useState<'checking' | 'in' | 'out'>('checking');
  const onSignIn = location.path === '/sign-in';

  useEffect(() => {
    if (onSignIn) return;
    restoreSession().then((session) => {
      if (session) {
        setReady('in');
        startLive();
      } else {
        setReady('out');
        navigate(`/sign-in?next=${encodeURIComponent(location.path + window.location.search)}`, true);
      }
    }, () => setReady('out'));
  }, [onSignIn]);
  useEffect(() => {
    if (location.path === '/') navigate('/pipelines', true);
  }, [location.path]);

  if (onSignIn) return <SignInPage next={location.query.get('next') ?? '/pipelines'} />;
  if (ready !== 'in') return <main id="main"><p class="muted">Checking the session…</p></main>;

  const signOut = (): void => {
    client.signOut().finally(() => {
      remember(undefined);
      stopLive();
      navigate('/sign-in', true);
    }).catch(() => undefined);
  };
  return (
    <>
      <a class="skip" href="#main">Skip to the content</a>
      <header class="top">
        <a class="brand" href="/pipelines">nagare</a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}><a href={href} aria-current={location.path.startsWith(href) ? 'page' : undefined}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <span class="who">{caller()}</span>
        <button type="button" class="quiet" onClick={signOut}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page location={location} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
